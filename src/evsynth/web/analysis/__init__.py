"""Analyses with forest plots, the evidence grade, the PRISMA diagram and the documents."""
