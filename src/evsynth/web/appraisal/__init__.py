"""Study tables, appraisal answers and extracted outcome data."""
