"""The demo shop: a realistic catalog, staff and one terminal, created once per database."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from kassa.server.catalog.barcodes import embedded_lookup_code, gtin_check_digit
from kassa.server.catalog.models import Barcode, Category, Product, Tax
from kassa.server.catalog.services import catalog_version_next
from kassa.server.demo_history import SECOND_STORE, demo_history, demo_stores_and_tills
from kassa.server.staff.models import Cashier, Reason, RoleCode
from kassa.server.staff.services import cashier_create
from kassa.server.terminals.models import PaymentMethod, Store, Terminal
from kassa.server.terminals.services import pairing_code_create

PROXY_PAIRING_CODE = "DEMO-2024"  # set in src/kassa/proxy/demo.toml
ADMIN_USER = "admin"
ADMIN_PASSWORD = "kassa-demo"  # noqa: S105 - printed in the demo banner on purpose
CASHIERS = [
    ("Alice", RoleCode.CASHIER, "1234"),
    ("Bob", RoleCode.CASHIER, "2345"),
    ("Maria (manager)", RoleCode.MANAGER, "9999"),
]

# (category path, tax key, unit, weighed, [(name, price)])
_GROUPS: list[tuple[str, str, str, bool, list[tuple[str, str]]]] = [
    (
        "Fruit & Vegetables",
        "reduced",
        "kg",
        True,
        [
            ("Bananas", "1.99"),
            ("Apples Elstar", "2.49"),
            ("Pears Conference", "2.79"),
            ("Tomatoes", "3.49"),
            ("Carrots", "1.29"),
            ("Onions", "1.19"),
            ("Potatoes", "1.09"),
            ("Grapes white", "4.99"),
            ("Oranges", "2.29"),
            ("Courgettes", "2.99"),
        ],
    ),
    (
        "Bakery",
        "reduced",
        "pc",
        False,
        [
            ("Sourdough loaf", "3.95"),
            ("Baguette", "1.49"),
            ("Croissant", "0.95"),
            ("Rye bread", "3.25"),
            ("Whole wheat rolls (6)", "2.49"),
            ("Apple pie slice", "2.75"),
            ("Cinnamon bun", "1.85"),
            ("Crème brûlée tart", "3.10"),
        ],
    ),
    (
        "Dairy",
        "reduced",
        "pc",
        False,
        [
            ("Whole milk 1 l", "1.15"),
            ("Semi-skimmed milk 1 l", "1.05"),
            ("Butter 250 g", "2.69"),
            ("Gouda young 500 g", "5.49"),
            ("Greek yoghurt 500 g", "2.39"),
            ("Eggs free range (10)", "3.59"),
            ("Crème fraîche 200 ml", "1.39"),
            ("Brie de Meaux 200 g", "4.25"),
        ],
    ),
    (
        "Drinks / Soft drinks",
        "reduced",
        "pc",
        False,
        [
            ("Sparkling water 1.5 l", "0.79"),
            ("Orange juice 1 l", "2.19"),
            ("Cola 330 ml", "0.99"),
            ("Iced tea 500 ml", "1.49"),
            ("Lemonade 1 l", "1.79"),
            ("Apple juice 1 l", "1.99"),
        ],
    ),
    (
        "Drinks / Beer & Wine",
        "standard",
        "pc",
        False,
        [
            ("Pilsner 6×330 ml", "5.99"),
            ("IPA 330 ml", "2.29"),
            ("Rioja Crianza 750 ml", "8.95"),
            ("Sauvignon blanc 750 ml", "7.49"),
            ("Prosecco 750 ml", "9.99"),
            ("Weißbier 500 ml", "1.89"),
        ],
    ),
    (
        "Household",
        "standard",
        "pc",
        False,
        [
            ("Dish soap 500 ml", "1.79"),
            ("Kitchen roll (4)", "3.29"),
            ("Laundry liquid 1.5 l", "7.99"),
            ("Sponges (5)", "1.49"),
            ("Bin bags 30 l (20)", "2.59"),
            ("Light bulb LED E27", "4.95"),
        ],
    ),
    (
        "Snacks",
        "reduced",
        "pc",
        False,
        [
            ("Salted crisps 200 g", "1.89"),
            ("Dark chocolate 100 g", "2.15"),
            ("Peanuts 250 g", "2.45"),
            ("Liquorice 300 g", "1.99"),
            ("Stroopwafels (8)", "2.29"),
            ("Muesli bar", "0.89"),
        ],
    ),
    (
        "Services",
        "excluded",
        "pc",
        False,
        [
            ("Gift wrapping", "2.00"),
            ("Home delivery", "7.50"),
            ("Key cutting", "6.00"),
        ],
    ),
]
_VARIANTS = ["", " organic", " family pack", " value", " premium", " mini", " XL"]


@dataclass(frozen=True)
class DemoCredentials:
    admin_user: str
    admin_password: str
    cashiers: list[tuple[str, str, str]]
    terminal: str
    pairing_code: str


def _ean13(rng: random.Random) -> str:
    body = "87" + "".join(str(rng.randrange(10)) for _ in range(10))
    return body + str(gtin_check_digit(body))


def _embedded(prefix: str, item: int) -> str:
    return embedded_lookup_code(prefix, f"{item:05d}", 5)


@transaction.atomic
def demo_seed(*, proxy_url: str | None = None, history_days: int = 0) -> DemoCredentials:
    """Create the demo shop if the database has none; always issue a fresh pairing code.

    `proxy_url` points the demo till at a hardware proxy on another port. `history_days`:
    a second store, two more tills and that many days of sales (demo_history.py), once.
    """
    user_model = get_user_model()
    if not user_model.objects.filter(username=ADMIN_USER).exists():
        user_model.objects.create_superuser(ADMIN_USER, "admin@example.com", ADMIN_PASSWORD)
    terminal = Terminal.objects.filter(code="POS1").first()
    if terminal is None:
        terminal = _seed_shop()
    if history_days and not Store.objects.filter(name=SECOND_STORE).exists():
        stores, tills = demo_stores_and_tills(terminal.store, terminal)
        demo_history(days=history_days, stores=stores, tills=tills)
    if proxy_url and terminal.proxy_url != proxy_url:
        terminal.proxy_url = proxy_url
        terminal.save(update_fields=["proxy_url"])
    return DemoCredentials(
        admin_user=ADMIN_USER,
        admin_password=ADMIN_PASSWORD,
        cashiers=[(name, role, pin) for name, role, pin in CASHIERS],
        terminal=terminal.name,
        pairing_code=pairing_code_create(terminal=terminal),
    )


def _seed_shop() -> Terminal:
    rng = random.Random(7)
    taxes = {
        "standard": Tax.objects.create(name="VAT 21%", rate=Decimal(21), price_includes_tax=True),
        "reduced": Tax.objects.create(name="VAT 9%", rate=Decimal(9), price_includes_tax=True),
        "excluded": Tax.objects.create(
            name="VAT 21% (net prices)", rate=Decimal(21), price_includes_tax=False
        ),
    }
    version = catalog_version_next()
    categories: dict[str, Category] = {}
    products: list[tuple[Product, list[str]]] = []
    codes: set[str] = set()
    item = 1
    for path, tax_key, unit, weighed, items in _GROUPS:
        parent = None
        for depth, name in enumerate(path.split(" / ")):
            key = " / ".join(path.split(" / ")[: depth + 1])
            if key not in categories:
                categories[key] = Category.objects.create(
                    name=name, parent=parent, sort_order=len(categories)
                )
            parent = categories[key]
        variants = [""] if weighed or tax_key == "excluded" else _VARIANTS
        for name, price in items:
            for variant in variants:
                factor = Decimal(1) + Decimal(_VARIANTS.index(variant)) / Decimal(8)
                product = Product(
                    name=f"{name}{variant}",
                    ref=f"D{item:05d}",
                    category=parent,
                    price=(Decimal(price) * factor).quantize(Decimal("0.01")),
                    tax=taxes[tax_key],
                    unit=unit,
                    weighed=weighed,
                    version=version,
                )
                if weighed:
                    barcodes = [_embedded("21", item)]
                else:
                    code = _ean13(rng)
                    while code in codes:
                        code = _ean13(rng)
                    barcodes = [code]
                codes.update(barcodes)
                products.append((product, barcodes))
                item += 1
    Product.objects.bulk_create([p for p, _ in products])
    Barcode.objects.bulk_create(
        [Barcode(code=code, product=p) for p, barcodes in products for code in barcodes]
    )
    cash = PaymentMethod.objects.create(name="Cash", is_cash=True, sort_order=0)
    card = PaymentMethod.objects.create(name="Card", is_cash=False, sort_order=1)
    Reason.objects.bulk_create(
        [
            Reason(action=action, code=code, label=label, restock=restock, position=i)
            for i, (action, code, label, restock) in enumerate(DEMO_REASONS)
        ]
    )
    for name, role, pin in CASHIERS:
        if not Cashier.objects.filter(name=name).exists():
            cashier_create(name=name, pin=pin, role=role)
    store = Store.objects.create(
        name="Kassa Demo Market",
        address="Marktstraat 1\n1011 AB Amsterdam",
        tax_id="NL000099998B57",
        receipt_header="Open every day 8:00–20:00",
        receipt_footer="Thank you for shopping with us!",
        time_zone="Europe/Amsterdam",
    )
    terminal = Terminal.objects.create(name="Till 1", code="POS1", store=store, currency="EUR")
    terminal.payment_methods.set([cash, card])
    return terminal


# (action, code, label, restock): the reason lists a till offers (docs/permissions.md).
DEMO_REASONS = [
    ("REFUND", "UNWANTED", "Customer changed their mind", True),
    ("REFUND", "DEFECT", "Defective", False),
    ("REFUND", "WRONG_ITEM", "Wrong item sold", True),
    ("BLIND_RETURN", "NO_RECEIPT", "No receipt", True),
    ("NO_SALE", "CHANGE", "Change for a customer", False),
    ("NO_SALE", "CHECK", "Checking the drawer", False),
    ("CASH_IN", "FLOAT", "Float top-up", False),
    ("CASH_OUT", "SUPPLIER", "Paid a supplier", False),
    ("CASH_OUT", "EXPENSE", "Shop expense", False),
    ("CASH_DROP", "SAFE", "Drop to the safe", False),
    ("PRICE_OVERRIDE", "DAMAGED", "Damaged packaging", False),
    ("PRICE_OVERRIDE", "PRICE_MATCH", "Price match", False),
    ("LINE_VOID", "MISTAKE", "Scanned by mistake", False),
    ("ORDER_ABANDON", "LEFT", "Customer left", False),
    ("APPROVE_VARIANCE", "RECOUNTED", "Recounted, difference accepted", False),
]


def demo_banner(credentials: DemoCredentials, *, port: int, proxy_port: int) -> str:
    cashiers = "\n".join(
        f"      {name:<18} {role:<8} PIN {pin}" for name, role, pin in credentials.cashiers
    )
    return f"""
  Kassa demo
  ----------
  POS terminal   http://127.0.0.1:{port}/pos/
                 pairing code for {credentials.terminal}: {credentials.pairing_code}
                 (valid 30 minutes; a new one is printed at every start)
  Back office    http://127.0.0.1:{port}/admin/   user {credentials.admin_user}, \
password {credentials.admin_password}
  API docs       http://127.0.0.1:{port}/api/docs
  Hardware proxy http://127.0.0.1:{proxy_port}/   (virtual printer, display and drawer)
                 pairing code for the terminal: {PROXY_PAIRING_CODE}
  Cashiers
{cashiers}
  Stop with Ctrl-C.
"""
