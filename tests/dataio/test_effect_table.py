"""read_effect_table: the CSV/.xlsx of `evsynth meta`, read into effect sizes, and every kind of
bad input reported with the file, the line a person sees in an editor and the column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from evsynth.dataio import infer_measure, parse_effect_table, read_effect_table
from evsynth.errors import InputError
from evsynth.stats.escalc import escalc

BCG = """study,ai,bi,ci,di,ablat
Aronson 1948,4,119,11,128,44
Ferguson & Simes 1949,6,300,29,274,55
Rosenthal et al 1960,3,228,11,209,42
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _message(path: Path, measure: str | None = None, **kwargs: float) -> str:
    with pytest.raises(InputError) as info:
        read_effect_table(path, measure, **kwargs)
    return str(info.value)


# ---- what is read -------------------------------------------------------------------------


def test_two_by_two_table_infers_or_and_matches_escalc(tmp_path: Path) -> None:
    es, frame = read_effect_table(_write(tmp_path, BCG))
    want = escalc("OR", ai=[4, 6, 3], bi=[119, 300, 228], ci=[11, 29, 11], di=[128, 274, 209])
    assert es.measure == "OR"
    np.testing.assert_array_equal(es.yi, want.yi)
    np.testing.assert_array_equal(es.vi, want.vi)
    assert es.slab == ("Aronson 1948", "Ferguson & Simes 1949", "Rosenthal et al 1960")
    assert list(frame.index) == [2, 3, 4]  # file line numbers
    assert frame["ablat"].tolist() == [44.0, 55.0, 42.0]  # moderator kept, numeric


def test_measure_given_overrides_inference_and_is_case_insensitive(tmp_path: Path) -> None:
    es, _ = read_effect_table(_write(tmp_path, BCG), "rr")
    assert es.measure == "RR"
    np.testing.assert_allclose(es.yi[0], np.log((4 / 123) / (11 / 139)), rtol=1e-14)


def test_counts_with_group_sizes(tmp_path: Path) -> None:
    es, _ = read_effect_table(_write(tmp_path, "ai,n1i,ci,n2i\n26,45,7,42\n"), "RD")
    assert es.yi[0] == pytest.approx(26 / 45 - 7 / 42, rel=1e-14)


def test_seed_review_single_arm_change_is_gen_with_sei(tmp_path: Path) -> None:
    text = "study,yi,sei\nChoi 2017,2.64,0.084\nGerdesmeyer 2013,2.4,0.184\n"
    es, _ = read_effect_table(_write(tmp_path, text))
    assert es.measure == "GEN"
    np.testing.assert_allclose(es.vi, [0.084**2, 0.184**2], rtol=1e-15)


def test_precomputed_yi_labelled_with_a_measure(tmp_path: Path) -> None:
    es, _ = read_effect_table(_write(tmp_path, "yi,vi\n-0.5,0.04\n"), "OR")
    assert es.measure == "OR" and es.yi[0] == -0.5


def test_means_infer_md_and_smd_on_request(tmp_path: Path) -> None:
    text = "author,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,10,2,20,8,2.5,22\nB,5,1,15,5.5,1.2,14\n"
    path = _write(tmp_path, text)
    md, _ = read_effect_table(path)
    assert md.measure == "MD" and md.yi.tolist() == [2.0, -0.5]
    smd, _ = read_effect_table(path, "SMD")
    want = escalc("SMD", m1i=[10, 5], sd1i=[2, 1], n1i=[20, 15], m2i=[8, 5.5], sd2i=[2.5, 1.2],
                  n2i=[22, 14])  # fmt: skip
    np.testing.assert_array_equal(smd.yi, want.yi)
    assert smd.slab == ("A", "B")


def test_proportions_and_correlations_inferred(tmp_path: Path) -> None:
    pr, _ = read_effect_table(_write(tmp_path, "xi,ni\n3,10\n0,8\n", "p.csv"))
    assert pr.measure == "PR"
    z, _ = read_effect_table(_write(tmp_path, "ri,ni\n0.3,50\n", "r.csv"))
    assert z.measure == "ZCOR" and z.yi[0] == pytest.approx(np.arctanh(0.3), rel=1e-14)


def test_change_from_baseline_needs_measure_and_takes_assumed_r(tmp_path: Path) -> None:
    text = "m1i,sd1i,m2i,sd2i,ni\n3.1,1.9,5.8,2.1,46\n"
    path = _write(tmp_path, text)
    assert _message(path) == (
        f"{path}, row 1: the columns describe change from baseline (m1i, m2i, ni): "
        "choose the measure MC, SMCC or SMCR"
    )
    es, _ = read_effect_table(path, "SMCC", pre_post_r=0.5)
    want = escalc("SMCC", m1i=[3.1], sd1i=[1.9], m2i=[5.8], sd2i=[2.1], ni=[46], ri=[0.5])
    np.testing.assert_array_equal(es.yi, want.yi)
    assert _message(path, "MC") == f"{path}, row 1, column 'ri': measure MC needs this column"


def test_blank_ri_cells_take_the_assumed_correlation(tmp_path: Path) -> None:
    path = _write(tmp_path, "m1i,sd1i,m2i,sd2i,ni,ri\n3,2,5,2,40,0.7\n3,2,5,2,40,\n")
    es, _ = read_effect_table(path, "MC", pre_post_r=0.5)
    np.testing.assert_allclose(es.vi, [(8 - 2 * 0.7 * 4) / 40, (8 - 2 * 0.5 * 4) / 40])


def test_utf8_bom_semicolons_and_blank_lines(tmp_path: Path) -> None:
    text = "\ufeffstudy;yi;vi\n\nA;0.1;0.01\n\nB;0.2;0.02\n"
    es, frame = read_effect_table(_write(tmp_path, text.encode("utf-8")))
    assert es.slab == ("A", "B")
    assert list(frame.index) == [3, 5]


def test_excel_workbook_uses_sheet_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["study", "xi", "ni"])
    sheet.append(["A", 3, 10])
    sheet.append([None, None, None])
    sheet.append(["B", 12, 10])
    path = tmp_path / "data.xlsx"
    book.save(path)
    assert _message(path) == f"{path}, row 4, column 'xi': events exceed the sample size ni"
    sheet.cell(row=4, column=2, value=2)
    book.save(path)
    es, frame = read_effect_table(path)
    assert es.measure == "PR" and es.yi.tolist() == [0.3, 0.2]
    assert list(frame.index) == [2, 4]


def test_upload_bytes_are_parsed_alike() -> None:
    es, _ = parse_effect_table(BCG.encode("utf-8"), "upload.csv")
    assert es.k == 3


def test_infer_measure_rule() -> None:
    assert infer_measure(["yi", "sei", "ai", "ci", "bi", "di"]) == "GEN"
    assert infer_measure(["AI", "BI", "CI", "DI"]) == "OR"
    assert infer_measure(["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ri", "ni"]) == "MD"
    assert infer_measure(["xi", "ni"]) == "PR"
    assert infer_measure(["ri", "ni"]) == "ZCOR"


# ---- bad input: one message naming file, row and column ----------------------------------


def test_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "m1i,sd1i,n1i,m2i,n2i\n1,1,10,2,10\n")
    assert _message(path, "MD") == f"{path}, row 1, column 'sd2i': measure MD needs this column"


def test_columns_that_match_no_measure(tmp_path: Path) -> None:
    path = _write(tmp_path, "study,effect,se\nA,1,0.1\n")
    assert _message(path) == (
        f"{path}, row 1: cannot tell the measure from the columns; expected ai bi ci di, "
        "m1i sd1i n1i m2i sd2i n2i, xi ni, ri ni, or yi with vi or sei"
    )


def test_negative_standard_deviation(tmp_path: Path) -> None:
    path = _write(tmp_path, "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,1,10\n1,-1,10,2,1,10\n")
    assert _message(path) == f"{path}, row 3, column 'sd1i': negative standard deviation"


def test_negative_variance_and_standard_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "yi,vi\n0.1,0.01\n0.2,-0.02\n")
    assert _message(path) == f"{path}, row 3, column 'vi': negative variance"
    path = _write(tmp_path, "yi,sei\n0.1,-0.1\n", "se.csv")
    assert _message(path) == f"{path}, row 2, column 'sei': negative standard error"


def test_events_above_group_size(tmp_path: Path) -> None:
    path = _write(tmp_path, "ai,n1i,ci,n2i\n26,45,7,42\n31,42,40,37\n")
    assert _message(path) == f"{path}, row 3, column 'ci': events exceed the group size n2i"


def test_negative_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "ai,bi,ci,di\n1,9,-2,8\n")
    assert _message(path) == f"{path}, row 2, column 'ci': negative count"


def test_group_size_not_sum_of_cells(tmp_path: Path) -> None:
    path = _write(tmp_path, "ai,bi,n1i,ci,di\n1,9,11,2,8\n")
    assert _message(path) == f"{path}, row 2, column 'n1i': n1i is not ai + bi"


def test_sample_size_below_two(tmp_path: Path) -> None:
    path = _write(tmp_path, "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,1,1\n")
    assert _message(path) == (
        f"{path}, row 2, column 'n2i': sample size below 2 (a standard deviation needs n of 2 or "
        "more)"
    )


def test_correlation_sample_size_below_four(tmp_path: Path) -> None:
    path = _write(tmp_path, "ri,ni\n0.3,3\n")
    assert _message(path) == (
        f"{path}, row 2, column 'ni': sample size below 4 (the variance of a correlation needs n "
        "of 4 or more)"
    )


def test_text_in_a_number_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "study,yi,vi\nA,0.1,0.01\nB,abc,0.02\n")
    assert _message(path) == f"{path}, row 3, column 'yi': expected a number, found 'abc'"


def test_decimal_comma_gets_a_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, 'yi,vi\n"0,5",0.01\n')
    assert _message(path) == (
        f"{path}, row 2, column 'yi': expected a number, found '0,5' (use a dot as the decimal "
        "mark)"
    )


def test_missing_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "xi,ni\n3,10\n,12\n")
    assert _message(path) == f"{path}, row 3, column 'xi': missing value"
    path = _write(tmp_path, "xi,ni\n3,NA\n", "na.csv")
    assert _message(path) == f"{path}, row 2, column 'ni': missing value"


def test_missing_study_label(tmp_path: Path) -> None:
    path = _write(tmp_path, "study,yi,vi\nA,0.1,0.01\n,0.2,0.02\n")
    assert _message(path) == f"{path}, row 3, column 'study': missing study label"


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    assert _message(path) == f"{path}: the file is empty"
    path = _write(tmp_path, "\n  \n", "blank.csv")
    assert _message(path) == f"{path}: the file is empty"
    path = _write(tmp_path, "yi,vi\n", "header.csv")
    assert _message(path) == f"{path}, row 2: the file has a header but no data rows"


def test_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "study,yi,vi\nA,0.1,0.01\nM\xfcller,0.2,0.02\n".encode("latin-1"))
    assert _message(path) == (
        f"{path}, row 3: the file is not UTF-8 text (byte 0xfc); save it as CSV UTF-8"
    )


def test_correlation_outside_unit_interval(tmp_path: Path) -> None:
    path = _write(tmp_path, "ri,ni\n0.3,40\n1.2,50\n")
    assert _message(path) == f"{path}, row 3, column 'ri': correlation outside [-1, 1]"
    path = _write(tmp_path, "ri,ni\n-1,40\n", "one.csv")
    assert _message(path) == (
        f"{path}, row 2, column 'ri': a correlation of exactly 1 or -1 has no Fisher z"
    )


def test_first_row_with_a_problem_is_reported(tmp_path: Path) -> None:
    # Row 2 has a bad SD, row 3 a bad n: the earlier row wins whatever the check order.
    path = _write(tmp_path, "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,-1,10\n1,1,1,2,1,10\n")
    assert _message(path) == f"{path}, row 2, column 'sd2i': negative standard deviation"


def test_multiline_quoted_cell_keeps_editor_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, 'study,yi,vi\n"Long\nname",0.1,0.01\nB,x,0.02\n')
    assert _message(path) == f"{path}, row 4, column 'yi': expected a number, found 'x'"


def test_structure_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "yi,vi,yi\n1,1,1\n")
    assert _message(path) == f"{path}, row 1, column 'yi': the column name appears twice"
    path = _write(tmp_path, "yi,vi\n1,1,1\n", "wide.csv")
    assert _message(path) == f"{path}, row 2: the row has 3 cells but the header names 2 columns"
    missing = tmp_path / "nope.csv"
    assert _message(missing) == f"{missing}: no such file"


def test_unknown_measure_and_bad_assumed_r(tmp_path: Path) -> None:
    path = _write(tmp_path, BCG)
    assert _message(path, "LOR") == (
        "column 'measure': Invalid measure 'LOR'; expected one of MD, SMD, SMDH, ROM, MC, SMCC, "
        "SMCR, RR, OR, RD, PR, PLN, PLO, PAS, PFT, COR, ZCOR, GEN"
    )
    with pytest.raises(InputError, match=r"pre_post_r must be between -1 and 1, not 1\.5"):
        read_effect_table(path, "MC", pre_post_r=1.5)
