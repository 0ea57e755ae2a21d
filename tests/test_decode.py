import pytest

from pipeline.decode import DecodeError, decode_bytes

from conftest import BBC


def test_utf8_and_bom():
    assert decode_bytes("Café £5".encode()).encoding == "utf-8"
    d = decode_bytes(b"\xef\xbb\xbfHello")
    assert (d.text, d.encoding) == ("Hello", "utf-8-sig")


def test_cp1252_fallback_pound_and_quotes():
    data = "It cost £600m \u2013 they said \u201cyes\u201d".encode("cp1252")
    d = decode_bytes(data)
    assert d.encoding == "cp1252"
    assert d.text == "It cost £600m \u2013 they said \u201cyes\u201d"


def test_utf16_with_bom():
    d = decode_bytes("Grüße aus Berlin".encode("utf-16"))
    assert d.text == "Grüße aus Berlin" and d.encoding == "utf-16"


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"  \n\t\n", "empty"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "binary"),
    # bytes cp1252 does not define, in no encoding that reads as text
    (b"\x81\x8d\x8f\x90\x9d" * 40 + b"\xff\xfe\x81", "undecodable"),
])
def test_rejects_with_reason(data, reason):
    with pytest.raises(DecodeError) as exc:
        decode_bytes(data)
    assert exc.value.reason == reason
    assert str(exc.value)


@pytest.mark.needs_shared
def test_bbc_cp1252_file_gets_a_correct_pound_sign():
    d = decode_bytes((BBC / "sport" / "199.txt").read_bytes())
    assert d.encoding == "cp1252"
    assert "£" in d.text and "\ufffd" not in d.text and "Â£" not in d.text
