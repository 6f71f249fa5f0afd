"""Put the region, or a league or city, on the platform with its bodies (organization office, government), and hang
banners under it. Run again to attach more banners or to turn the city's in-platform approval on or off.

    manage.py add_upper_jurisdiction --level region --name 内蒙古自治区 --division-code 150000 --abbreviation 内
    manage.py add_upper_jurisdiction --level city --name 呼伦贝尔市 --division-code 150700 --abbreviation 呼 \\
        --parent 150000 --banner 150721 --banner 150722 --approves-in-system
"""

from django.core.management.base import BaseCommand, CommandError

from admission.models import Jurisdiction, JurisdictionLevel
from admission.services.setup import attach_banners, create_upper_jurisdiction


class Command(BaseCommand):
    help = "Add the region or a league/city (its bodies), attach banners below it, set whether it approves in-system."

    def add_arguments(self, parser):
        parser.add_argument("--level", choices=[JurisdictionLevel.REGION, JurisdictionLevel.CITY], required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--division-code", required=True)
        parser.add_argument("--abbreviation", required=True, help="opens its bodies' document numbers (呼 in 呼政批)")
        parser.add_argument("--parent", default="", help="division code of the level above (a city's region)")
        parser.add_argument("--banner", action="append", default=[], help="division code of a banner below (repeat)")
        parser.add_argument("--approves-in-system", action="store_true", help="the city's government approves here")

    def handle(self, *args, **o):
        parent = None
        if o["parent"]:
            parent = Jurisdiction.objects.filter(division_code=o["parent"]).first()
            if parent is None:
                raise CommandError(f"上级区划代码 {o['parent']} 不在平台上，请先添加上级。")
        codes = o["banner"]
        banners = list(Jurisdiction.objects.filter(division_code__in=codes, level=JurisdictionLevel.BANNER))
        missing = sorted(set(codes) - {b.division_code for b in banners})
        if missing:
            raise CommandError(f"以下旗县不在平台上：{'、'.join(missing)}（先用 onboard_jurisdiction 导入）。")
        jurisdiction = Jurisdiction.objects.filter(division_code=o["division_code"]).first()
        if jurisdiction is None:
            jurisdiction = create_upper_jurisdiction(
                name=o["name"],
                division_code=o["division_code"],
                level=o["level"],
                abbreviation=o["abbreviation"],
                parent=parent,
                approves_in_system=o["approves_in_system"],
            )
            self.stdout.write(f"已添加 {jurisdiction.name}（{jurisdiction.get_level_display()}）及其编办、政府。")
        elif jurisdiction.level != o["level"] or jurisdiction.name != o["name"]:
            raise CommandError(
                f"区划代码 {o['division_code']} 已是 {jurisdiction.name}（{jurisdiction.get_level_display()}）。"
            )
        attach_banners(upper=jurisdiction, banners=banners, approves_in_system=o["approves_in_system"])
        self.stdout.write(
            f"{jurisdiction.name}：所辖旗县 {jurisdiction.children.count()} 个；"
            f"市（盟）政府在平台内审批：{'是' if o['approves_in_system'] else '否'}。"
        )
