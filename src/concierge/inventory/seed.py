"""Demo stock for `corner-shops`: three stores in Chennai, ~60 items, 90 days of history.

History is written as ledger rows (receipts, FEFO sales, returns, write-offs of expired
batches) and the stock tables are then rebuilt from the ledger — so every count on every page
is explained by its movements. The last steps go through the services like a shop would:
low stock, an open purchase order and a transfer in transit. Idempotent."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal as D

from django.db.models import Max
from django.utils import timezone

from concierge.core.demo import demo_org, demo_user

STORES = [
    ("TN", "T. Nagar", "14 Usman Road, T. Nagar"),
    ("AD", "Adyar", "3 LB Road, Adyar"),
    ("MY", "Mylapore", "22 Kutchery Road, Mylapore"),
]
SUPPLIERS = [
    ("Chennai Wholesale Traders", "orders@chennai-wholesale.example", 3),
    ("Aavin Dairy Distributors", "supply@aavin-dist.example", 1),
    ("Southern FMCG Agencies", "po@southern-fmcg.example", 5),
    ("CleanHome Supplies", "sales@cleanhome.example", 4),
]
# name, category, unit, cost, price, tax %, shelf life (days, None = not perishable),
# supplier index, sales per day, size
ITEMS = [
    ("Ponni Rice", "Groceries", "kg", "52", "62", "5", None, 0, 9, "1 kg"),
    ("Basmati Rice", "Groceries", "kg", "110", "135", "5", None, 0, 3, "1 kg"),
    ("Toor Dal", "Groceries", "kg", "128", "150", "5", None, 0, 4, "1 kg"),
    ("Moong Dal", "Groceries", "kg", "118", "140", "5", None, 0, 2, "1 kg"),
    ("Urad Dal", "Groceries", "kg", "122", "145", "5", None, 0, 2, "1 kg"),
    ("Chana Dal", "Groceries", "kg", "84", "99", "5", None, 0, 2, "1 kg"),
    ("Wheat Atta", "Groceries", "each", "230", "265", "5", None, 0, 3, "5 kg"),
    ("Rava (Sooji)", "Groceries", "each", "38", "48", "5", None, 0, 2, "500 g"),
    ("Sugar", "Groceries", "kg", "42", "48", "5", None, 0, 6, "1 kg"),
    ("Iodised Salt", "Groceries", "each", "20", "25", "0", None, 0, 4, "1 kg"),
    ("Groundnut Oil", "Groceries", "each", "185", "210", "5", None, 2, 3, "1 l"),
    ("Sunflower Oil", "Groceries", "each", "150", "172", "5", None, 2, 4, "1 l"),
    ("Sesame Oil", "Groceries", "each", "290", "330", "5", None, 2, 1, "1 l"),
    ("Tamarind", "Groceries", "each", "60", "75", "5", None, 0, 2, "250 g"),
    ("Turmeric Powder", "Groceries", "each", "32", "42", "5", None, 2, 2, "100 g"),
    ("Chilli Powder", "Groceries", "each", "45", "58", "5", None, 2, 2, "100 g"),
    ("Sambar Powder", "Groceries", "each", "55", "70", "5", None, 2, 3, "100 g"),
    ("Filter Coffee Powder", "Groceries", "each", "140", "170", "5", None, 2, 3, "200 g"),
    ("Tea Dust", "Groceries", "each", "120", "145", "5", None, 2, 3, "250 g"),
    ("Rolled Oats", "Groceries", "each", "95", "120", "5", None, 2, 1, "500 g"),
    ("Marie Biscuits", "Groceries", "each", "25", "30", "18", None, 2, 6, "250 g"),
    ("Instant Noodles", "Groceries", "each", "12", "14", "18", None, 2, 10, "70 g"),
    ("Idli Rice", "Groceries", "kg", "45", "55", "5", None, 0, 3, "1 kg"),
    ("Appalam", "Groceries", "each", "30", "40", "5", None, 0, 2, "200 g"),
    ("Toned Milk", "Dairy", "each", "24", "27", "0", 2, 1, 30, "500 ml"),
    ("Full Cream Milk", "Dairy", "each", "32", "36", "0", 2, 1, 12, "500 ml"),
    ("Curd", "Dairy", "each", "28", "35", "0", 5, 1, 10, "400 g"),
    ("Butter", "Dairy", "each", "52", "60", "12", 60, 1, 2, "100 g"),
    ("Ghee", "Dairy", "each", "290", "340", "12", 180, 1, 1, "500 ml"),
    ("Paneer", "Dairy", "each", "85", "100", "5", 7, 1, 3, "200 g"),
    ("Cheese Slices", "Dairy", "each", "120", "140", "12", 90, 1, 1, "200 g"),
    ("Buttermilk", "Dairy", "each", "12", "15", "0", 3, 1, 8, "200 ml"),
    ("Flavoured Milk", "Dairy", "each", "22", "30", "5", 10, 1, 4, "200 ml"),
    ("Brown Bread", "Dairy", "each", "38", "45", "0", 4, 1, 5, "400 g"),
    ("Eggs (tray of 6)", "Dairy", "each", "36", "42", "0", 14, 1, 6, "6"),
    ("Dishwash Bar", "Household", "each", "9", "12", "18", None, 3, 5, "200 g"),
    ("Dishwash Liquid", "Household", "each", "95", "115", "18", None, 3, 2, "500 ml"),
    ("Detergent Powder", "Household", "each", "110", "130", "18", None, 3, 3, "1 kg"),
    ("Liquid Detergent", "Household", "each", "210", "245", "18", None, 3, 1, "1 l"),
    ("Floor Cleaner", "Household", "each", "95", "115", "18", None, 3, 2, "1 l"),
    ("Toilet Cleaner", "Household", "each", "80", "99", "18", None, 3, 1, "500 ml"),
    ("Garbage Bags", "Household", "pack", "55", "70", "18", None, 3, 1, "30 bags"),
    ("Mosquito Coil", "Household", "pack", "32", "40", "18", None, 3, 2, "10 coils"),
    ("Agarbatti", "Household", "each", "20", "30", "5", None, 3, 3, "20 sticks"),
    ("Matchbox Pack", "Household", "pack", "9", "12", "12", None, 3, 2, "10 boxes"),
    ("LED Bulb 9W", "Household", "each", "75", "99", "12", None, 3, 1, "9 W"),
    ("Scrub Pad", "Household", "pack", "18", "25", "18", None, 3, 2, "3 pads"),
    ("Bath Soap", "Personal care", "each", "32", "40", "18", None, 2, 6, "100 g"),
    ("Sandal Soap", "Personal care", "each", "48", "58", "18", None, 2, 2, "125 g"),
    ("Shampoo Sachets", "Personal care", "pack", "25", "32", "18", None, 2, 3, "16 × 6 ml"),
    ("Shampoo Bottle", "Personal care", "each", "155", "185", "18", None, 2, 1, "340 ml"),
    ("Coconut Hair Oil", "Personal care", "each", "95", "115", "18", None, 2, 3, "300 ml"),
    ("Toothpaste", "Personal care", "each", "85", "102", "18", None, 2, 4, "150 g"),
    ("Toothbrush", "Personal care", "each", "25", "35", "18", None, 2, 2, "medium"),
    ("Talcum Powder", "Personal care", "each", "110", "135", "18", None, 2, 1, "300 g"),
    ("Face Wash", "Personal care", "each", "120", "149", "18", None, 2, 1, "100 ml"),
    ("Sanitary Pads", "Personal care", "pack", "45", "58", "12", None, 2, 2, "8 pads"),
    ("Hand Wash", "Personal care", "each", "85", "99", "18", None, 3, 1, "200 ml"),
    ("Shaving Cream", "Personal care", "each", "65", "80", "18", None, 2, 1, "70 g"),
    ("Kajal", "Personal care", "each", "120", "150", "18", None, 2, 1, "0.35 g"),
    ("Sunscreen", "Personal care", "each", "240", "299", "18", None, 2, 0.1, "50 ml"),
]
LOW_IN_TN = ["Toor Dal", "Filter Coffee Powder", "Toothpaste", "Sunflower Oil"]


def gtin13(n: int) -> str:
    body = f"8901{n:08d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def run(*, stdout) -> None:
    from concierge.inventory import alerts, ledger, services
    from concierge.inventory.models import (
        Batch,
        Category,
        InventorySettings,
        Item,
        ItemStock,
        Location,
        Movement,
        ReorderRule,
        Store,
        Supplier,
    )

    org = demo_org("corner-shops")
    if Store.objects.filter(organisation=org, code="TN").exists():
        stdout.write("  inventory demo data exists")
        return
    rng = random.Random(2026)
    kavya, shop, admin = demo_user("manager"), demo_user("shopkeeper"), demo_user("admin")
    InventorySettings.objects.get_or_create(
        organisation=org, defaults={"expiry_warning_days": 3, "slow_mover_days": 21}
    )
    stores = []
    for code, name, address in STORES:
        store = Store.objects.create(
            organisation=org, code=code, name=name, city="Chennai", address=address, manager=kavya
        )
        front = Location.objects.create(
            store=store, code="FRONT", name="Front shop", kind=Location.Kind.AREA
        )
        back = Location.objects.create(
            store=store, code="BACK", name="Back room", kind=Location.Kind.AREA
        )
        cold = Location.objects.create(
            store=store, code="COLD", name="Cold shelf", kind=Location.Kind.AREA
        )
        bins = {"front": [], "back": [], "cold": []}
        for i in range(1, 5):
            bins["front"].append(
                Location.objects.create(
                    store=store,
                    parent=front,
                    code=f"F-{i:02d}",
                    name=f"Shelf {i}",
                    capacity_units=D(900),
                )
            )
        for i in range(1, 4):
            bins["back"].append(
                Location.objects.create(
                    store=store,
                    parent=back,
                    code=f"B-{i:02d}",
                    name=f"Rack {i}",
                    capacity_units=D(2500),
                )
            )
        for i in range(1, 3):
            bins["cold"].append(
                Location.objects.create(
                    store=store,
                    parent=cold,
                    code=f"C-{i:02d}",
                    name=f"Fridge {i}",
                    capacity_units=D(600),
                )
            )
        stores.append((store, bins))
    suppliers = [
        Supplier.objects.create(
            organisation=org, name=n, email=e, lead_time_days=d, phone="+91 44 2400 0000"
        )
        for n, e, d in SUPPLIERS
    ]
    categories = {}
    items = []
    for n, (name, cat, unit, cost, price, tax, shelf, sup, rate, size) in enumerate(ITEMS, start=1):
        if cat not in categories:
            categories[cat] = Category.objects.create(organisation=org, name=cat)
        item = Item.objects.create(
            organisation=org,
            sku=f"CS-{n:04d}",
            name=name,
            gtin=gtin13(n),
            category=categories[cat],
            unit=unit,
            cost=D(cost),
            price=D(price),
            tax_rate=D(tax),
            average_cost=D(cost),
            perishable=shelf is not None,
            shelf_life_days=shelf,
            supplier=suppliers[sup],
            size=size,
            pack_size=12 if unit in ("each", "pack") and rate >= 3 else 1,
        )
        items.append((item, rate))

    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    moves = []
    for s_index, (store, bins) in enumerate(stores):
        factor = [1.0, 0.7, 0.5][s_index]
        for i_index, (item, rate) in enumerate(items):
            rate = rate * factor
            lead = item.supplier.lead_time_days
            point = max(round(rate * (lead + 2)), 2)
            qty = max(round(rate * 10 / item.pack_size) * item.pack_size, item.pack_size, 4)
            ReorderRule.objects.create(
                item=item,
                store=store,
                reorder_point=D(point),
                reorder_qty=D(qty),
                max_qty=D(point + qty * 3),
            )
            kind_bins = bins["cold"] if item.perishable else bins["front"] + bins["back"]
            loc = kind_bins[i_index % len(kind_bins)]
            batches: list[list] = []  # [batch or None, qty]
            stockout_ok = item.name in LOW_IN_TN and store.code == "TN"
            for day in range(90, -1, -1):
                on = today - timedelta(days=day)
                held = sum(b[1] for b in batches)
                # Dated goods are bought little and often: about a day's sales left
                # triggers a delivery of up to a week's (or a shelf life's) worth.
                trigger = max(round(rate), 1) if item.perishable else point
                if held <= trigger and not (stockout_ok and day < 25):
                    got = (
                        max(round(rate * min(item.shelf_life_days, 7)), 2)
                        if item.perishable
                        else qty
                    )
                    batch = None
                    if item.perishable:
                        batch = Batch.objects.get_or_create(
                            item=item,
                            code=f"{on:%y%m%d}-{store.code}",
                            defaults={
                                "manufactured_on": on,
                                "expires_on": on + timedelta(days=item.shelf_life_days),
                            },
                        )[0]
                    at = datetime.combine(on, time(8, rng.randint(0, 50)), tz)
                    moves.append(
                        Movement(
                            organisation=org,
                            store=store,
                            location=loc,
                            item=item,
                            batch=batch,
                            kind=Movement.Kind.RECEIVE,
                            quantity=D(got),
                            unit_cost=item.cost,
                            supplier=item.supplier,
                            reference=f"DN-{store.code}-{on:%m%d}-{item.pk}",
                            user=shop,
                            created_at=at,
                        )
                    )
                    batches.append([batch, got])
                # Write off what expired.
                for b in batches:
                    if b[0] is not None and b[1] > 0 and b[0].expires_on < on:
                        moves.append(
                            Movement(
                                organisation=org,
                                store=store,
                                location=loc,
                                item=item,
                                batch=b[0],
                                kind=Movement.Kind.WRITE_OFF,
                                quantity=D(-b[1]),
                                unit_cost=item.cost,
                                reason="expired",
                                user=shop,
                                created_at=datetime.combine(on, time(7, 30), tz),
                            )
                        )
                        b[1] = 0
                weekend = 1.3 if on.weekday() >= 5 else 1.0
                want = _poisson(rng, rate * weekend)
                batches.sort(key=lambda b: (b[0] is None, b[0].expires_on if b[0] else today))
                for b in batches:
                    if want <= 0:
                        break
                    if b[0] is not None and b[0].expires_on < on:
                        continue
                    take = min(b[1], want)
                    if take <= 0:
                        continue
                    b[1] -= take
                    want -= take
                    at = datetime.combine(on, time(rng.randint(9, 20), rng.randint(0, 59)), tz)
                    if at > now:
                        at = now - timedelta(minutes=rng.randint(5, 300))
                    moves.append(
                        Movement(
                            organisation=org,
                            store=store,
                            location=loc,
                            item=item,
                            batch=b[0],
                            kind=Movement.Kind.SALE,
                            quantity=D(-take),
                            unit_cost=item.cost,
                            unit_price=item.price,
                            user=shop,
                            created_at=at,
                        )
                    )
                batches = [b for b in batches if b[1] > 0]
                if rng.random() < 0.01 and moves and not item.perishable:
                    moves.append(
                        Movement(
                            organisation=org,
                            store=store,
                            location=loc,
                            item=item,
                            kind=Movement.Kind.RETURN,
                            quantity=D(1),
                            unit_cost=item.cost,
                            unit_price=item.price,
                            reason="customer changed mind",
                            user=shop,
                            created_at=min(
                                datetime.combine(on, time(18, 0), tz), now - timedelta(minutes=1)
                            ),
                        )
                    )
    Movement.objects.bulk_create(moves, batch_size=2000)
    ledger.rebuild()
    for stock in ItemStock.objects.filter(store__organisation=org):
        last = Movement.objects.filter(
            item_id=stock.item_id, store_id=stock.store_id, kind=Movement.Kind.SALE
        ).aggregate(m=Max("created_at"))
        stock.last_sale_at = last["m"]
        stock.save(update_fields=["last_sale_at"])
    stdout.write(f"  {len(moves)} ledger movements over 90 days in {len(stores)} stores")

    tn, ad = stores[0][0], stores[1][0]
    # A slow mover nobody bought for a month.
    sun = Item.objects.get(organisation=org, name="Sunscreen")
    ItemStock.objects.filter(item=sun).update(last_sale_at=now - timedelta(days=35))
    for stock in ItemStock.objects.filter(store__organisation=org).select_related("item", "store"):
        alerts.check_stock(item=stock.item, store=stock.store, stock=stock)
    for store, _bins in stores:
        alerts.scan_store(store=store)

    # An open purchase order, sent to the supplier, and one already partly received.
    dal = Item.objects.get(organisation=org, name="Toor Dal")
    coffee = Item.objects.get(organisation=org, name="Filter Coffee Powder")
    po = services.create_purchase_order(
        user=kavya, store=tn, supplier=dal.supplier, lines=[(dal, D(40))]
    )
    services.send_purchase_order(user=kavya, order=po)
    po2 = services.create_purchase_order(
        user=kavya, store=ad, supplier=coffee.supplier, lines=[(coffee, D(24))]
    )
    services.send_purchase_order(user=kavya, order=po2)
    line = po2.lines.get()
    services.receive_purchase_order(
        user=shop,
        order=po2,
        delivery_note="SF-2231",
        lines={line.pk: services.ReceiptLine(item=coffee, quantity=D(12))},
    )
    # A transfer in transit: T. Nagar borrows toothpaste from Mylapore.
    paste = Item.objects.get(organisation=org, name="Toothpaste")
    mylapore = stores[2][0]
    t = services.request_transfer(
        user=shop,
        from_store=mylapore,
        to_store=tn,
        lines=[(paste, D(6))],
        note="Running out before the weekend",
    )
    services.approve_transfer(user=kavya, transfer=t)
    services.ship_transfer(user=shop, transfer=t)
    services.join_network(user=admin, organisation=org, name="Chennai Neighbourhood Stores")
    # A serialised appliance (each unit has its own serial number) and an online order
    # waiting to be fulfilled.
    grinder = services.create_item(
        user=admin,
        organisation=org,
        sku="CS-MG-750",
        name="Mixer Grinder 750 W",
        gtin=gtin13(900),
        category=Category.objects.create(organisation=org, name="Appliances"),
        supplier=Supplier.objects.create(
            organisation=org,
            name="Coromandel Home Appliances",
            email="trade@coromandel-appliances.example",
            lead_time_days=7,
            phone="+91 44 2400 0000",
        ),
        cost=D("2400"),
        price=D("2990"),
        tax_rate=D("18"),
        serialised=True,
    )
    services.receive_stock(
        user=shop,
        store=tn,
        lines=[
            services.ReceiptLine(
                item=grinder,
                quantity=D(4),
                unit_cost=D("2400"),
                serials=[f"MG75-{n}" for n in range(1001, 1005)],
            )
        ],
        delivery_note="APP-77",
    )
    tea = Item.objects.get(organisation=org, name="Tea Dust")
    sugar = Item.objects.get(organisation=org, name="Sugar")
    services.place_online_order(
        user=shop, store=tn, external_id="WEB-1042", lines=[(tea, D(2)), (sugar, D(1))]
    )
    stdout.write(
        f"  3 stores, {len(items)} items, open PO {po.number}, transfer {t.number} in transit"
    )


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    import math

    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
