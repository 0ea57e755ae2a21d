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
