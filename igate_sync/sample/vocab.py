"""Vocabularies of the sample one-stop register: people, places, procedures, officers, labels.

Everything here is written in Unicode NFC; the generator adds the source's quirks (NFD,
stray spaces, typographic apostrophes, legacy encodings) itself. Ea Yiêng, Krông Pắc,
Đắk Lắk is the sample commune: Kinh, Ê Đê/Jrai and Xê Đăng people live side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- People --------------------------------------------------------------------------------

# Kinh family names with rough shares (Nguyễn is about four in ten).
KINH_FAMILY: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
)
KINH_MIDDLE_MALE = ("Văn", "Văn", "Văn", "Hữu", "Đức", "Công", "Quang", "Minh", "Thành", "Đình")
KINH_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng")
# Both tone placements occur and must be kept as typed: Hòa/Hoà, Thủy/Thuỷ, Thúy/Thuý.
KINH_GIVEN_MALE = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hùng",
    "Hòa",
    "Hoà",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Đạt",
    "Hiếu",
    "Lộc",
    "Ánh",
    "Ổn",
)
KINH_GIVEN_FEMALE = (
    "Thủy",
    "Thuỷ",
    "Hòa",
    "Hoà",
    "Lan",
    "Hương",
    "Mai",
    "Ngọc",
    "Nhung",
    "Trang",
    "Yến",
    "Hạnh",
    "Huyền",
    "Loan",
    "Thảo",
    "Xuân",
    "Hằng",
    "Oanh",
    "Thúy",
    "Thuý",
    "Ánh",
    "Uyên",
)

# Ê Đê / Jrai: gender prefix (Y for men, H' for women), given name, clan name last.
EDE_GIVEN_MALE = (
    "Niê",
    "Sơn",
    "Blốk",
    "Thuôt",
    "Jut",
    "Khoa",
    "Dhăm",
    "Kông",
    "Bhiăr",
    "Mốt",
    "Ngông",
    "Hiêng",
    "Wang",
)
EDE_GIVEN_FEMALE = (
    "Hen",
    "Bia",
    "Nơ",
    "Rin",
    "Luyên",
    "Yơn",
    "Ha",
    "Wen",
    "Mai",
    "Jan",
    "Zuê",
    "Bhiêt",
)
EDE_CLAN = (
    "Niê",
    "Mlô",
    "Êban",
    "Ayun",
    "Kdăm",
    "Byă",
    "Knul",
    "Êya",
    "Hđơk",
    "Adrơng",
    "Mja",
    "Bkrông",
    "Ksơr",
    "Nay",
    "Siu",
    "Rơ Châm",
    "Rơ Mah",
    "Kpă",
    "Buôn Yă",
    "Ktla",
)
# Xê Đăng people have no family name: a single token is a whole, normal name.
SINGLE_TOKEN = (
    "Blưn",
    "Hơ",
    "Nhoong",
    "Kơi",
    "Đrơng",
    "Brố",
    "Pơ",
    "Lứt",
    "Thiêng",
    "Ngưu",
    "Rơk",
    "Hlen",
    "Xíu",
    "Bốt",
)
# H' written with a typographic apostrophe, a modifier letter, a backtick: all seen at desks.
APOSTROPHE_VARIANTS: tuple[tuple[str, int], ...] = (
    ("'", 60),
    ("\u2019", 30),
    ("\u02bc", 6),
    ("`", 4),
)

ORGANISATIONS: tuple[tuple[int, str], ...] = (
    (2, "Công ty TNHH Cà phê Ea Yiêng"),
    (2, "Công ty TNHH MTV Nông sản Krông Pắc"),
    (2, "Doanh nghiệp tư nhân Hoàng Long"),
    (3, "Trường Tiểu học Ea Yiêng"),
    (3, "Trạm Y tế xã Ea Yiêng"),
    (4, "Hợp tác xã Nông nghiệp Ea Yiêng"),
    (4, "Chi hội Nông dân buôn Ea Yiêng"),
)

# --- Places --------------------------------------------------------------------------------

VILLAGES = (
    "Thôn 1",
    "Thôn 2",
    "Thôn 3",
    "Thôn 4",
    "Thôn 5",
    "Thôn 6",
    "Thôn 7",
    "Thôn 8",
    "thôn 3",
    "Thôn Tân Lập",
    "Thôn Đoàn Kết",
    "Buôn Ea Yiêng",
    "Buôn Kniêr",
    "Buôn Ea Kmar",
    "Buôn Cư Dluê",
    "buôn Ea Drai",
    "Buôn Tơng Jú",
)
ADDRESS_OLD = "{village}, xã Ea Yiêng, huyện Krông Pắc, tỉnh Đắk Lắk"
ADDRESS_OLD_SHORT = "{village}, Ea Yiêng, Krông Pắc, Đắk Lắk"
ADDRESS_NEW = "{village}, xã Tân Tiến, tỉnh Đắk Lắk"
ADDRESS_ELSEWHERE = (
    "Tổ dân phố 5, thị trấn Phước An, huyện Krông Pắc, tỉnh Đắk Lắk",
    "Thôn 2, xã Hòa An, huyện Krông Pắc, tỉnh Đắk Lắk",
    "Số 12 Lê Duẩn, phường Tân Lợi, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk",
    "Xóm 4, xã Diễn Hồng, huyện Diễn Châu, tỉnh Nghệ An",
)

# Commune statistics codes: Ea Yiêng before the 2025-07-01 reorganisation, Tân Tiến after.
MA_XA_OLD = "24535"
MA_XA_NEW = "24526"

# Birth-province codes of CCCD numbers: Đắk Lắk first, then where settlers came from.
CCCD_PROVINCES: tuple[tuple[str, int], ...] = (
    ("066", 80),
    ("040", 5),
    ("038", 4),
    ("042", 3),
    ("036", 2),
    ("034", 2),
    ("064", 2),
    ("062", 2),
)

MOBILE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "056",
    "058",
    "059",
)
# Old eleven-digit mobile prefixes (renumbered in 2018).
OLD_MOBILE_PREFIXES = (
    "0162",
    "0163",
    "0164",
    "0165",
    "0166",
    "0167",
    "0168",
    "0169",
    "0120",
    "0121",
    "0122",
    "0126",
    "0128",
    "0123",
    "0124",
    "0125",
    "0127",
    "0129",
    "0186",
    "0188",
    "0199",
)
LANDLINE_PREFIX = "0262"  # Đắk Lắk
UNUSABLE_PHONES = ("12345", "0905 123", "090512345678", "không có", "0262.38")
EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "yahoo.com.vn",
    "daklak.gov.vn",
)
INVALID_EMAILS = ("{user}@gmail", "{user}", "{user} @gmail.com", "{user}@@yahoo.com", "không có")

# --- Procedures ----------------------------------------------------------------------------

LINH_VUC: tuple[tuple[str, str], ...] = (
    ("HT", "Hộ tịch"),
    ("CT", "Chứng thực"),
    ("DD", "Đất đai"),
    ("BTXH", "Bảo trợ xã hội"),
)


@dataclass(frozen=True)
class Procedure:
    """One row of ``thu_tuc`` and what dossiers under it look like."""

    id: int
    ma_tthc: str
    ten_tthc: str
    ma_linh_vuc: str | None
    muc_do: int | None
    so_ngay: int | None
    weight: int
    documents: tuple[str, ...]
    fees: tuple[tuple[str, int], ...] = ()
    summary: str = ""


_KHAI_SINH_DOCS = (
    "Tờ khai đăng ký khai sinh",
    "Giấy chứng sinh",
    "Bản sao Giấy chứng nhận kết hôn của cha, mẹ",
    "Bản sao Căn cước công dân của người đi đăng ký",
    "Văn bản ủy quyền (có chứng thực)",
)
_CCCD_COPY = "Bản sao Căn cước công dân"

PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        1,
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        "HT",
        4,
        1,
        14,
        _KHAI_SINH_DOCS,
        (("Lệ phí cấp bản sao trích lục khai sinh", 8000),),
        "Đăng ký khai sinh cho cháu {child}",
    ),
    Procedure(
        2,
        "1.000656.000.00.00.H16",
        "Thủ tục đăng ký khai tử",
        "HT",
        4,
        1,
        4,
        ("Tờ khai đăng ký khai tử", "Giấy báo tử", _CCCD_COPY),
        (("Lệ phí cấp bản sao trích lục khai tử", 8000),),
        "Đăng ký khai tử cho ông/bà {child}",
    ),
    Procedure(
        3,
        "1.000894",
        "Thủ tục đăng ký kết hôn",
        "HT",
        3,
        5,
        4,
        (
            "Tờ khai đăng ký kết hôn",
            _CCCD_COPY + " của hai bên",
            "Giấy xác nhận tình trạng hôn nhân",
        ),
        (("Lệ phí cấp bản sao Giấy chứng nhận kết hôn", 8000),),
        "Đăng ký kết hôn giữa {applicant} và {child}",
    ),
    Procedure(
        4,
        "1.004873.000.00.00.H16",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "HT",
        4,
        3,
        9,
        ("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", _CCCD_COPY, "Bản sao trích lục ly hôn"),
        (("Lệ phí cấp Giấy xác nhận tình trạng hôn nhân", 3000),),
        "Xác nhận tình trạng hôn nhân để {purpose}",
    ),
    Procedure(
        5,
        "1.004 859",
        "Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "HT",
        3,
        3,
        3,
        ("Tờ khai thay đổi, cải chính hộ tịch", "Bản chính Giấy khai sinh", _CCCD_COPY),
        (("Lệ phí thay đổi, cải chính hộ tịch", 15000),),
        "Cải chính ngày sinh trong Giấy khai sinh của {child}",
    ),
    Procedure(
        6,
        "1.001022",
        "Thủ tục đăng ký nhận cha, mẹ, con",
        "HT",
        None,
        3,
        1,
        ("Tờ khai đăng ký nhận cha, mẹ, con", "Văn bản xác nhận quan hệ cha con", _CCCD_COPY),
        (),
        "Đăng ký nhận con {child}",
    ),
    Procedure(
        7,
        "1.004884",
        "Thủ tục đăng ký lại khai sinh",
        "HT",
        3,
        5,
        2,
        ("Tờ khai đăng ký lại khai sinh", "Bản sao giấy tờ có thông tin khai sinh", _CCCD_COPY),
        (("Lệ phí cấp bản sao trích lục khai sinh", 8000),),
        "Đăng ký lại khai sinh cho {applicant}",
    ),
    Procedure(
        8,
        "2.000815.000.00.00.H16",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền"
        " của Việt Nam cấp hoặc chứng nhận",
        "CT",
        2,
        0,
        30,
        ("Bản chính giấy tờ cần chứng thực", "Bản sao cần chứng thực"),
        (
            ("Phí chứng thực bản sao từ bản chính", 2000),
            ("Phí chứng thực trang thứ ba trở lên", 1000),
        ),
        "Chứng thực bản sao {pages} bản {paper}",
    ),
    Procedure(
        9,
        " 2.000884",
        "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "CT",
        2,
        0,
        8,
        ("Giấy tờ, văn bản cần chứng thực chữ ký", _CCCD_COPY),
        (("Phí chứng thực chữ ký", 10000),),
        "Chứng thực chữ ký trên {paper}",
    ),
    Procedure(
        10,
        "2.001035",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        "CT",
        None,
        2,
        3,
        ("Dự thảo hợp đồng", _CCCD_COPY + " của các bên", "Giấy đăng ký xe"),
        (("Phí chứng thực hợp đồng, giao dịch", 50000), ("Phí sửa đổi, bổ sung hợp đồng", 30000)),
        "Chứng thực hợp đồng mua bán xe máy giữa {applicant} và {child}",
    ),
    Procedure(
        11,
        "2.000395",
        "Hòa giải tranh chấp đất đai",
        "DD",
        2,
        45,
        1,
        ("Đơn đề nghị hòa giải tranh chấp đất đai", "Sơ đồ thửa đất", _CCCD_COPY),
        (),
        "Hòa giải tranh chấp ranh giới thửa đất giữa {applicant} và {child}",
    ),
    Procedure(
        12,
        "1.003554.000.00.00.H16",
        "Xác nhận hộ gia đình, cá nhân đang trực tiếp sử dụng đất nông nghiệp",
        "DD",
        3,
        10,
        2,
        ("Đơn đề nghị xác nhận", "Bản sao Giấy chứng nhận quyền sử dụng đất"),
        (),
        "Xác nhận đang trực tiếp sản xuất nông nghiệp trên thửa đất ở {village}",
    ),
    Procedure(
        13,
        "1.001776",
        "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng",
        "BTXH",
        3,
        20,
        2,
        ("Tờ khai thông tin của đối tượng", "Bản sao Giấy xác nhận khuyết tật", _CCCD_COPY),
        (),
        "Đề nghị hưởng trợ cấp xã hội hàng tháng cho {child}",
    ),
    Procedure(
        14,
        "1.001758.000.00.00.H16",
        "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        "BTXH",
        3,
        5,
        1,
        ("Tờ khai đề nghị hỗ trợ chi phí mai táng", "Bản sao Giấy chứng tử"),
        (),
        "Đề nghị hỗ trợ mai táng phí cho ông/bà {child}",
    ),
    Procedure(
        15,
        "1.001699",
        "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
        "BTXH",
        None,
        30,
        1,
        ("Đơn đề nghị xác định mức độ khuyết tật", "Bản sao hồ sơ bệnh án"),
        (),
        "Xác định mức độ khuyết tật cho {child}",
    ),
)
# A desk-made procedure without a national code: dossiers under it are quarantined.
INVALID_PROCEDURE = Procedure(
    16,
    "TTHC-XA-01",
    "Xác nhận đơn đề nghị (thủ tục nội bộ của xã)",
    None,
    None,
    None,
    0,
    ("Đơn đề nghị xác nhận",),
    (),
    "Xác nhận đơn của {applicant}",
)

PAPERS = (
    "Giấy khai sinh",
    "Căn cước công dân",
    "Sổ hộ khẩu",
    "Bằng tốt nghiệp THPT",
    "Học bạ",
    "Giấy chứng nhận quyền sử dụng đất",
    "Giấy xác nhận tình trạng hôn nhân",
    "Hợp đồng vay vốn",
)
PURPOSES = ("đăng ký kết hôn", "bổ sung hồ sơ vay vốn", "mua bán nhà đất", "đi làm việc ở Hàn Quốc")
SUPPLEMENT_REASONS = (
    "Thiếu bản sao Căn cước công dân",
    "Giấy chứng sinh không rõ ngày sinh",
    "Tờ khai chưa có chữ ký của người đi đăng ký",
    "Cần bổ sung văn bản ủy quyền",
)
NOTES = (
    "Hồ sơ nộp qua dịch vụ công trực tuyến",
    "Đã hẹn công dân đến nhận kết quả",
    "Công dân đề nghị nhận kết quả qua bưu điện",
    "Đã hướng dẫn bổ sung giấy tờ",
    "Hồ sơ chuyển từ phần mềm cũ",
    "Công dân không biết chữ, cán bộ hỗ trợ điền tờ khai",
)
LONG_TEXT_SENTENCES = (
    "Tôi làm đơn này kính đề nghị Ủy ban nhân dân xã xem xét, giải quyết cho gia đình tôi.",
    "Gia đình tôi sinh sống ổn định tại địa phương từ năm 1995 đến nay, không có tranh chấp.",
    "Năm 2010, gia đình tôi nhận chuyển nhượng thửa đất của ông Y Sơn Niê bằng giấy viết tay.",
    "Do hoàn cảnh khó khăn, các con còn nhỏ, tôi chưa làm được thủ tục theo quy định.",
    "Kèm theo đơn là các giấy tờ có liên quan.",
    "Tôi xin cam đoan những lời khai trên là đúng sự thật.",
    "Nếu sai tôi xin hoàn toàn chịu trách nhiệm trước pháp luật.",
    "Kính mong Ủy ban nhân dân xã quan tâm giải quyết để gia đình tôi ổn định cuộc sống.",
    "Ranh giới phía đông giáp rẫy cà phê của bà H'Bia Mlô, phía tây giáp đường liên thôn.",
)

# --- Officers and steps --------------------------------------------------------------------

# (name, title, department) of the commune's officers; some names run past 50 characters.
OFFICERS_DESK: tuple[tuple[str, str, str], ...] = (
    ("Nguyễn Thị Hồng Nhung", "Công chức Tư pháp - Hộ tịch", "Bộ phận Tiếp nhận và Trả kết quả"),
    ("H'Wen Êban", "Công chức Văn phòng - Thống kê", "Bộ phận Tiếp nhận và Trả kết quả"),
    (
        "Nguyễn Thị Hồng Nhung (Công chức Tư pháp - Hộ tịch, kiêm nhiệm một cửa xã Ea Yiêng)",
        "Công chức Tư pháp - Hộ tịch",
        "Bộ phận một cửa",
    ),
)
OFFICERS_EXPERT: tuple[tuple[str, str, str], ...] = (
    ("Lê Văn Hoà", "Công chức Tư pháp - Hộ tịch", "Tư pháp - Hộ tịch"),
    ("Trần Văn Hùng", "Công chức Địa chính - Xây dựng", "Địa chính - Xây dựng"),
    ("Phạm Thị Thuỷ", "Công chức Văn hóa - Xã hội", "Văn hóa - Xã hội"),
    ("Y Thuôt Niê", "Công chức Tư pháp - Hộ tịch", "Tư pháp - Hộ tịch"),
)
OFFICERS_LEADER: tuple[tuple[str, str, str], ...] = (
    ("Y Ngông Niê Kdăm", "Chủ tịch UBND xã", "Lãnh đạo UBND xã"),
    ("Hoàng Đức Thắng", "Phó Chủ tịch UBND xã", "Lãnh đạo UBND xã"),
)

# What each step writes into noi_dung, by the status code it leaves the dossier in.
STEP_TEXT: dict[int, tuple[str, ...]] = {
    1: ("Công dân nộp hồ sơ trực tuyến", "Công dân đăng ký hồ sơ trên Cổng dịch vụ công"),
    2: ("Tiếp nhận hồ sơ", "Tiếp nhận hồ sơ, hẹn trả kết quả", "Kiểm tra và tiếp nhận hồ sơ"),
    3: ("Hồ sơ không đủ điều kiện tiếp nhận", "Từ chối tiếp nhận: sai thẩm quyền"),
    4: ("Chuyển hồ sơ đến công chức chuyên môn xử lý", "Thẩm định hồ sơ"),
    5: ("Yêu cầu bổ sung giấy tờ",),
    6: ("Thông báo nộp phí, lệ phí",),
    7: ("Công dân đề nghị rút hồ sơ",),
    8: ("Tạm dừng xử lý do chờ xác minh", "Dừng xử lý theo đề nghị của cơ quan cấp trên"),
    9: ("Lãnh đạo ký duyệt kết quả", "Hoàn thành xử lý hồ sơ", "Đã ký trích lục"),
    10: ("Trả kết quả cho công dân", "Trả kết quả tại Bộ phận một cửa"),
}

# --- Status labels (the table at the end of mot_cua_v1.sql) -----------------------------------

STATUS_LABELS: dict[int, tuple[str, ...]] = {
    1: ("mới đăng ký",),
    2: ("đã tiếp nhận", "tiếp nhận"),
    3: ("không tiếp nhận", "từ chối tiếp nhận"),
    4: ("đang xử lý", "đang giải quyết"),
    5: ("chờ bổ sung", "yêu cầu bổ sung"),
    6: ("chờ nộp phí", "chờ thực hiện nghĩa vụ tài chính"),
    7: ("rút hồ sơ", "công dân rút hồ sơ"),
    8: ("dừng xử lý", "tạm dừng"),
    9: ("đã giải quyết", "đã xử lý xong", "hoàn thành"),
    10: ("đã trả kết quả", "đã trả"),
}
# Labels that are in no table: the row is quarantined as unknown_status.
UNKNOWN_STATUS_LABELS = (
    "chờ ký",
    "Đã duyệt",
    "Chuyển phòng chuyên môn",
    "trả lại",
    "Đã trả kết quả.",
)

# --- Channels ------------------------------------------------------------------------------

CHANNEL_DIRECT: tuple[tuple[str | None, int], ...] = (
    ("TRUC_TIEP", 50),
    (None, 30),
    ("truc tiep", 10),
    ("Truc tiep", 5),
    ("Trực tiếp", 5),
)
CHANNEL_ONLINE: tuple[tuple[str | None, int], ...] = (
    ("TRUC_TUYEN", 70),
    ("Truc tuyen", 15),
    ("truc_tuyen", 10),
    ("Trực tuyến", 5),
)
CHANNEL_POST: tuple[tuple[str | None, int], ...] = (("BUU_CHINH", 80), ("buu chinh", 20))
UNKNOWN_CHANNELS = ("qua zalo", "Zalo", "FAX", "email", "DVC_LT")

# Other agencies whose prefix sometimes lands in this register (invalid_dossier_code).
OTHER_AGENCIES = ("000.23.24.H16", "000.25.24.H16", "000.00.24.H16", "000.24.25.H16")
