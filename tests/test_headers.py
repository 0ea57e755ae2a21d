import datetime as dt

from pipeline.headers import split_date_header, split_title

from conftest import SAMPLE_DROP


def seed(prefix: str) -> str:
    return next(SAMPLE_DROP.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_date_header_of_seeds_becomes_published_and_leaves_the_text():
    for prefix, date in [("000", dt.date(2020, 1, 9)), ("001", dt.date(2020, 1, 8)), ("002", dt.date(2020, 1, 9))]:
        published, rest = split_date_header(seed(prefix))
        assert published == date
        assert not rest.startswith((" ", "date"))
        assert "date 20" not in rest[:40]


def test_no_header_and_invalid_dates_stay_text():
    assert split_date_header("The date 2020-01-09 was a Thursday.") == (None, "The date 2020-01-09 was a Thursday.")
    text = " date 2020-13-45 Something"
    assert split_date_header(text) == (None, text)


def test_headline_first_line_becomes_title():
    title, body = split_title(seed("003"))
    assert title == "\u2018Dead-heat\u2019 for US and Iran as both sides step back from the brink after Soleimani killing"
    assert body.startswith("In the latest phase")
    title, body = split_title(seed("004"))
    assert title == "De-escalation still possible after Iran\u2019s missile retaliation"


def test_a_first_paragraph_is_not_a_title():
    for prefix in ("000", "001", "002"):
        _, rest = split_date_header(seed(prefix))
        assert split_title(rest) == (None, rest)
    assert split_title("A one-line text with no body") == (None, "A one-line text with no body")
    lead = "They said this:\n\nThe rest."
    assert split_title(lead) == (None, lead)


FORM = ("Leave A Reply\n\nYour email address will not be published. Required fields are marked *\n\n"
        "Comment\n\nName *\n\nEmail *")


def test_a_boilerplate_line_is_never_a_title():
    for line in ("Leave A Reply", "Share this article", "Subscribe", "Related stories"):
        assert split_title(f"{line}\n\nThe council met on Tuesday to vote on the budget.")[0] is None, line
    assert split_title("Council passes budget\n\nThe council met on Tuesday.")[0] == "Council passes budget"


def test_a_page_of_only_boilerplate_has_no_title_and_is_flagged_empty():
    from pipeline.core import clean_text

    doc = clean_text(FORM)
    assert doc["title"] is None and doc.text == "" and doc["empty_after_cleaning"] is True
    assert ("comment_form", "Leave A Reply") in doc["boilerplate"], "the line is kept as removed"
    kept = clean_text("Council passes budget\n\nThe council met on Tuesday to vote on the budget.")
    assert kept["empty_after_cleaning"] is False


def test_empty_documents_are_counted_in_the_run_summary(tmp_path):
    from pipeline.runsummary import step_totals, summarize, to_markdown
    from pipeline.shard import clean_shard

    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "form.txt").write_text(FORM)
    (drop / "story.txt").write_text("Council passes budget\n\nThe council met on Tuesday.")
    res = clean_shard(str(drop), ["form.txt", "story.txt"], str(tmp_path / "p.parquet"), "r", "d")
    summary = summarize([res], res["rejects"], run_id="r", drop="d", seconds=1.0)
    assert dict(step_totals(summary))["documents empty after cleaning"] == 1
    assert "| documents empty after cleaning | 1 |" in to_markdown(summary)
