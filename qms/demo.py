"""Demo organisation: the company profile, departments and one user per role (passwords in README.md)."""
from django.contrib.auth.models import Group
from django.db import transaction

from qms import company
from qms.people import Department, Role, User

DEMO_PASSWORD = "Demo@2026"

# department code, name, manager's role code, role codes in that department
DEPARTMENTS = [
    ("gm-office", "总经办", "gm", ["gm", "mr", "salesvp", "board"]),
    ("sales", "销售部", "sales", ["sales"]),
    ("service", "客户服务部", "service", ["service"]),
    ("quality", "品质部", "quality", ["quality"]),
    ("engineering", "技术工程部", "engineering", ["engineering"]),
    ("production", "生产部", "production", ["production", "pmc"]),
    ("purchasing", "采购部", "purchasing", ["purchasing"]),
    ("finance", "财务部", "finance", ["finance", "financeclerk"]),
    ("hr", "人事行政部", "hr", ["hr", "doccontrol"]),
    ("property", "物业管理处", "propmanager",
     ["propmanager", "propassistant", "engsupervisor", "residentcentre", "security"]),
]

DEMO_NAMES = {
    "board": "董事长郑", "gm": "王总", "mr": "李代表", "salesvp": "马副总", "sales": "张销售", "service": "赵客服", "quality": "陈品质",
    "engineering": "刘工程", "production": "杨生产", "purchasing": "黄采购", "pmc": "周计划", "finance": "吴财务",
    "hr": "徐人事", "propmanager": "孙经理", "propassistant": "胡助理", "engsupervisor": "朱主管",
    "residentcentre": "高主任", "security": "林保安", "financeclerk": "何内勤", "doccontrol": "郭文管",
}


DEMO_COMPANY = {
    "name": "华信医疗器械有限公司",
    "short_name": "华信医疗",
    "address": "上海市浦东新区张江路 1888 号 5 号楼",
    "phone": "021-5080 1888",
}


@transaction.atomic
def create_demo_company() -> company.CompanyProfile:
    """Idempotent: fills the profile's empty fields with the demo company, keeping whatever an administrator set."""
    profile = company.load()
    missing = {field: value for field, value in DEMO_COMPANY.items() if not getattr(profile, field)}
    if missing:
        for field, value in missing.items():
            setattr(profile, field, value)
        profile.save()
    return profile


@transaction.atomic
def create_demo_people() -> dict[str, User]:
    """Idempotent: returns {role code: user}, plus "admin" and a second salesperson "sales2"."""
    role_names = {code: name for code, name, _en in Role.ALL}
    users: dict[str, User] = {}
    gm_office = None
    for code, name, manager_code, members in DEPARTMENTS:
        department, _ = Department.objects.update_or_create(code=code, defaults={"name": name})
        if code == "gm-office":
            gm_office = department
        elif gm_office is not None and department.parent_id is None:
            department.parent = gm_office
            department.save(update_fields=["parent"])
        for member in members:
            users[member] = _demo_user(member, DEMO_NAMES[member], department, [role_names[member]])
        department.manager = users[manager_code]
        department.save(update_fields=["manager"])
    sales = Department.objects.get(code="sales")
    users["sales2"] = _demo_user("sales2", "钱销售", sales, [Role.SALES])
    admin = _demo_user("admin", "系统管理员", Department.objects.get(code="hr"), [])
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    users["admin"] = admin
    for code in ("gm", "mr", "doccontrol"):
        users[code].is_staff = True
        users[code].save(update_fields=["is_staff"])
    return users


def _demo_user(username, full_name, department, roles) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "department": department, "email": f"{username}@example.com"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    return user
