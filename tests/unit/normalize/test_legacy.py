"""decode_legacy: TCVN3 (ABC) and VNI-Windows text stored as Windows-1252 characters.

The test encoders below are written from published tables, independently of the decoder:
TCVN3 byte values from TCVN 5712:1993 as in XFree86's TCVN-5712 table (VN3 is its
0xA1-0xFE lower-case part plus seven capitals), VNI sequences as in the xvnkb and
vietnamese-conversion projects' tables.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igate_sync.normalize import legacy
from igate_sync.normalize.legacy import LEGACY_ENCODINGS, UnknownEncoding, decode_legacy

# The 67 lower-case letters with a Vietnamese mark; with their capitals, 134 letters.
LOWER_LETTERS = "ăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
UPPER_LETTERS = LOWER_LETTERS.upper()
ALL_LETTERS = LOWER_LETTERS + UPPER_LETTERS
TCVN3_CAPITALS = "ĂÂÊÔƠƯĐ"

TCVN3_BYTES = {
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB,
    "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF, "é": 0xD0, "ẹ": 0xD1,
    "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE,
    "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3, "ọ": 0xE4,
    "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9,
    "ờ": 0xEA, "ở": 0xEB, "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE,
    "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9,
    "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC, "ý": 0xFD, "ỵ": 0xFE,
}  # fmt: skip

VNI_LOWER = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï",
    "â": "aâ", "ấ": "aá", "ầ": "aà", "ẩ": "aå", "ẫ": "aã", "ậ": "aä",
    "ă": "aê", "ắ": "aé", "ằ": "aè", "ẳ": "aú", "ẵ": "aü", "ặ": "aë",
    "é": "eù", "è": "eø", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï",
    "ê": "eâ", "ế": "eá", "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "ó": "où", "ò": "oø", "ỏ": "oû", "õ": "oõ", "ọ": "oï",
    "ô": "oâ", "ố": "oá", "ồ": "oà", "ổ": "oå", "ỗ": "oã", "ộ": "oä",
    "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ở": "ôû", "ỡ": "ôõ", "ợ": "ôï",
    "ú": "uù", "ù": "uø", "ủ": "uû", "ũ": "uõ", "ụ": "uï",
    "ư": "ö", "ứ": "öù", "ừ": "öø", "ử": "öû", "ữ": "öõ", "ự": "öï",
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
    "ý": "yù", "ỳ": "yø", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
    "đ": "ñ",
}  # fmt: skip
# VNI's capitals use the upper-case form of every byte: "Ễ" is "EÃ".
VNI = {**VNI_LOWER, **{letter.upper(): code.upper() for letter, code in VNI_LOWER.items()}}

PHRASES = (
    "Nguyễn Thị Thủy",
    "Đắk Lắk",
    "Ê Đê",
    "Hòa",
    "Hoà",
    "Y Niê Kdăm",
    "H'Hen Niê",
    "Ủy ban nhân dân xã Ea Yiêng",
    "Xê Đăng",
    "Krông Pắc",
)


def as_stored(data: bytes) -> str:
    """The string a database holds for legacy bytes stored as Windows-1252 characters."""
    chars = []
    for byte in data:
        try:
            chars.append(bytes((byte,)).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


def tcvn3_encode(text: str) -> str:
    """TCVN3 as a .VnTime user typed it: a toned capital goes in as its lower-case code."""
    data = bytearray()
    for char in text:
        if char in TCVN3_BYTES:
            data.append(TCVN3_BYTES[char])
        elif char.lower() in TCVN3_BYTES:
            data.append(TCVN3_BYTES[char.lower()])
        else:
            data.extend(char.encode("ascii"))
    return as_stored(bytes(data))


def vni_encode(text: str) -> str:
    """VNI-Windows, as stored: base letters followed by separate mark bytes."""
    return "".join(VNI.get(char, char) for char in text)


def expected_tcvn3(text: str) -> str:
    """What TCVN3 can give back: toned capitals come back in lower case."""
    return "".join(
        char.lower() if char in UPPER_LETTERS and char not in TCVN3_CAPITALS else char
        for char in text
    )


# -- the fixtures themselves -----------------------------------------------------------------


def test_letter_list_has_all_134_vietnamese_letters() -> None:
    assert len(set(ALL_LETTERS)) == 134
    assert all(unicodedata.is_normalized("NFC", char) for char in ALL_LETTERS)


def test_test_tables_cover_every_letter() -> None:
    assert set(TCVN3_BYTES) == set(LOWER_LETTERS) | set(TCVN3_CAPITALS)
    assert set(VNI) == set(ALL_LETTERS)


# -- encoding names --------------------------------------------------------------------------


def test_legacy_encodings_constant() -> None:
    assert LEGACY_ENCODINGS == ("UNICODE", "TCVN3", "VNI")


@pytest.mark.parametrize("name", ["UNICODE", "unicode", " Unicode ", "\tUNICODE\n"])
def test_unicode_returns_value_unchanged(name: str) -> None:
    value = unicodedata.normalize("NFD", "  Nguyễn  ")
    assert decode_legacy(value, name) == value


@pytest.mark.parametrize("name", ["TCVN3", "tcvn3", " Tcvn3 "])
def test_tcvn3_name_is_case_insensitive_and_stripped(name: str) -> None:
    assert decode_legacy("NguyÔn", name) == "Nguyễn"


@pytest.mark.parametrize("name", ["VNI", "vni", " Vni\t"])
def test_vni_name_is_case_insensitive_and_stripped(name: str) -> None:
    assert decode_legacy("Nguyeãn", name) == "Nguyễn"


@pytest.mark.parametrize("name", ["", "   ", "UTF8", "UTF-8", "ABC", "VISCII", "VNI-WIN", "TCVN"])
def test_unknown_encoding_raises(name: str) -> None:
    with pytest.raises(UnknownEncoding):
        decode_legacy("abc", name)


def test_unknown_encoding_is_a_value_error() -> None:
    assert issubclass(UnknownEncoding, ValueError)


# -- TCVN3: hand-checked byte sequences ------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param("NguyÔn", "Nguyễn", id="0xD4-is-e-circumflex-tilde"),
        pytest.param("NguyÔn ThÞ Thñy", "Nguyễn Thị Thủy", id="nguyen-thi-thuy"),
        pytest.param("§¾k L¾k", "Đắk Lắk", id="dak-lak"),
        pytest.param("£ §ª", "Ê Đê", id="e-de"),
        pytest.param("Hßa", "Hòa", id="hoa"),
        pytest.param("Y Niª Kd¨m", "Y Niê Kdăm", id="y-nie-kdam"),
        pytest.param("H'Hen Niª", "H'Hen Niê", id="h-apostrophe-name"),
        pytest.param("ñy ban nh©n d©n x· Ea Yiªng", "ủy ban nhân dân xã Ea Yiêng", id="ea-yieng"),
        pytest.param("Xin chµo c¸c b¹n", "Xin chào các bạn", id="vietnamese-conv-greeting"),
        pytest.param("T«i ®i häc", "Tôi đi học", id="vietnamese-conv-sentence"),
        pytest.param("B¶o Th¾ng", "Bảo Thắng", id="bao-thang"),
        pytest.param("B¸t X¸t", "Bát Xát", id="bat-xat"),
        pytest.param("Ninh B×nh", "Ninh Bình", id="ninh-binh"),
        pytest.param("M\u00adêng Kh\u00ad¬ng", "Mường Khương", id="soft-hyphen-is-u-horn"),
    ],
)
def test_tcvn3_known_string(stored: str, expected: str) -> None:
    assert decode_legacy(stored, "TCVN3") == expected


@pytest.mark.parametrize("capital", list(TCVN3_CAPITALS))
def test_tcvn3_defined_capital_decodes_to_capital(capital: str) -> None:
    assert decode_legacy(tcvn3_encode(capital), "TCVN3") == capital


@pytest.mark.parametrize("letter", list(ALL_LETTERS))
def test_tcvn3_round_trip_every_letter(letter: str) -> None:
    assert decode_legacy(tcvn3_encode(letter), "TCVN3") == expected_tcvn3(letter)


def test_tcvn3_toned_capital_codes_decode_to_lower_case() -> None:
    # .VnTimeH showed "NGUYÔN" as NGUYỄN; the bytes only say ễ.
    assert decode_legacy("NGUYÔN", "TCVN3") == "NGUYễN"


@pytest.mark.parametrize("phrase", PHRASES)
def test_tcvn3_round_trip_phrase(phrase: str) -> None:
    assert decode_legacy(tcvn3_encode(phrase), "TCVN3") == expected_tcvn3(phrase)


def test_tcvn3_ascii_unchanged() -> None:
    text = "Ea Yieng 24535, Krong Pac - 000.24.24.H16"
    assert decode_legacy(text, "TCVN3") == text


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("\u20ac", id="0x80-euro"),
        pytest.param("\u0081", id="0x81-undefined-in-cp1252"),
        pytest.param("\u008d", id="0x8D-undefined-in-cp1252"),
        pytest.param("À", id="0xC0-outside-vn3"),
        pytest.param("ễ", id="outside-cp1252"),
    ],
)
def test_tcvn3_character_without_a_vn3_letter_passes_through(char: str) -> None:
    assert decode_legacy(f"a{char}b", "TCVN3") == f"a{char}b"


@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_bytes_undefined_in_cp1252_are_read_as_c1_controls(byte: int) -> None:
    assert legacy._BYTE_CHARS[byte] == chr(byte)


def test_bytes_defined_in_cp1252_are_read_as_cp1252() -> None:
    assert legacy._BYTE_CHARS[0x80] == "€"
    assert legacy._BYTE_CHARS[0x9F] == "Ÿ"
    assert legacy._BYTE_CHARS[0xD4] == "Ô"


ASCII_SAMPLE = "abcdeghiklmnopqrstuvxyAEHKNTY '-.,0123456789"


@given(st.text(alphabet=LOWER_LETTERS + TCVN3_CAPITALS + ASCII_SAMPLE))
def test_tcvn3_round_trip_any_lower_case_text(text: str) -> None:
    assert decode_legacy(tcvn3_encode(text), "TCVN3") == text


# -- VNI: hand-checked byte sequences --------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param("Nguyeãn", "Nguyễn", id="e-then-circumflex-tilde"),
        pytest.param("Nguyeãn Thò Thuûy", "Nguyễn Thị Thủy", id="nguyen-thi-thuy"),
        pytest.param("Ñaék Laék", "Đắk Lắk", id="dak-lak"),
        pytest.param("EÂ Ñeâ", "Ê Đê", id="e-de"),
        pytest.param("Hoøa", "Hòa", id="hoa"),
        pytest.param("Hoaø", "Hoà", id="hoa-old-style"),
        pytest.param("Y Nieâ Kdaêm", "Y Niê Kdăm", id="y-nie-kdam"),
        pytest.param("H'Hen Nieâ", "H'Hen Niê", id="h-apostrophe-name"),
        pytest.param(
            "UÛy ban nhaân daân xaõ Ea Yieâng", "Ủy ban nhân dân xã Ea Yiêng", id="ea-yieng"
        ),
        pytest.param("Xin chaøo caùc baïn", "Xin chào các bạn", id="vietnamese-conv-greeting"),
        pytest.param("Toâi ñi hoïc", "Tôi đi học", id="vietnamese-conv-sentence"),
        pytest.param("Möôøng Khöông", "Mường Khương", id="muong-khuong"),
        pytest.param("NGUYEÃN THÒ THUÛY", "NGUYỄN THỊ THỦY", id="capitals"),
        pytest.param("Nguyeân Thò", "Nguyên Thị", id="i-dot-is-one-byte"),
        pytest.param("Kyø", "Kỳ", id="y-grave"),
        pytest.param("Lî", "Lỵ", id="y-dot-is-one-byte"),
    ],
)
def test_vni_known_string(stored: str, expected: str) -> None:
    assert decode_legacy(stored, "VNI") == expected


@pytest.mark.parametrize("letter", list(ALL_LETTERS))
def test_vni_round_trip_every_letter(letter: str) -> None:
    assert decode_legacy(vni_encode(letter), "VNI") == letter


@pytest.mark.parametrize("phrase", PHRASES)
def test_vni_round_trip_phrase(phrase: str) -> None:
    assert decode_legacy(vni_encode(phrase), "VNI") == phrase


def test_vni_mark_byte_case_need_not_match_letter_case() -> None:
    assert decode_legacy("NguyEãn", "VNI") == "NguyỄn"
    assert decode_legacy("NguyeÃn", "VNI") == "Nguyễn"


def test_vni_ascii_unchanged() -> None:
    text = "Ea Yieng 24535, Krong Pac - 000.24.24.H16"
    assert decode_legacy(text, "VNI") == text


@given(st.text(alphabet=ALL_LETTERS + ASCII_SAMPLE))
def test_vni_round_trip_any_text(text: str) -> None:
    assert decode_legacy(vni_encode(text), "VNI") == text


@given(st.text(), st.sampled_from(["TCVN3", "VNI"]))
def test_legacy_result_is_always_nfc(value: str, encoding: str) -> None:
    assert unicodedata.is_normalized("NFC", decode_legacy(value, encoding))
