"""Migration 0027: the measure documents cite becomes each jurisdiction's (Jurisdiction.measure). Arun Banner, for
which every document cited its measure until now, keeps citing it; any other banner is left to name its own (until
then its documents cite a provisional name the admin points out)."""

BEFORE = [("admission", "0026_drop_unused_task_indexes")]
AFTER = [("admission", "0027_jurisdiction_measure")]


def test_0027_arun_keeps_citing_its_measure_and_another_banner_names_its_own(migrated):
    Jurisdiction = migrated(BEFORE).get_model("admission", "Jurisdiction")
    Jurisdiction.objects.create(name="阿荣旗", division_code="150721", city_name="呼伦贝尔市", abbreviation="阿")
    Jurisdiction.objects.create(name="莫力达瓦达斡尔族自治旗", division_code="150722", city_name="呼伦贝尔市")

    apps = migrated(AFTER)
    measures = dict(apps.get_model("admission", "Jurisdiction").objects.values_list("division_code", "measure"))
    assert measures == {"150721": "阿荣旗乡镇职责准入管理办法（试行）", "150722": ""}
