"""Issue 15: migration 0025 keeps every document number as it was while the abbreviation moves out of the bodies'
codes (阿编 → 编, joined again at issue from the banner's own or inherited 简称), and gives it back on the way down."""

BEFORE = [("admission", "0024_webhooks")]
AFTER = [("admission", "0025_jurisdiction_settings")]


def test_0025_takes_the_abbreviation_out_of_the_codes_and_puts_it_back(migrated):
    before = migrated(BEFORE)
    Jurisdiction = before.get_model("admission", "Jurisdiction")
    Organization = before.get_model("admission", "Organization")
    banner = Jurisdiction.objects.create(
        name="阿荣旗", division_code="150721", city_name="呼伦贝尔市", abbreviation="阿"
    )
    for kind, name, prefix in (
        ("organization_office", "旗委编办", "阿编"),
        ("department", "旗林业和草原局", "阿林草"),
        ("township", "阿荣镇", "阿荣政"),  # a township's code is whole, even when it starts like the banner's
        ("city_government", "呼伦贝尔市人民政府", ""),
    ):
        Organization.objects.create(jurisdiction=banner, kind=kind, name=name, document_prefix=prefix)

    apps = migrated(AFTER)
    codes = dict(apps.get_model("admission", "Organization").objects.values_list("name", "document_code"))
    assert codes == {"旗委编办": "编", "旗林业和草原局": "林草", "阿荣镇": "阿荣政", "呼伦贝尔市人民政府": ""}

    apps = migrated(BEFORE)
    prefixes = dict(apps.get_model("admission", "Organization").objects.values_list("name", "document_prefix"))
    assert prefixes == {"旗委编办": "阿编", "旗林业和草原局": "阿林草", "阿荣镇": "阿荣政", "呼伦贝尔市人民政府": ""}
