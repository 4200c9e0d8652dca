"""Demo data for acme-support: KB (15 articles, several in Hindi and Tamil), queues, SLA
policies, business hours, routing rules, canned responses and ~40 tickets in every state
with conversations and ratings. Idempotent."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from concierge.accounts.models import Membership, Role, User
from concierge.accounts.services import add_member
from concierge.core.demo import demo_org, demo_user
from concierge.helpdesk import services
from concierge.helpdesk.models import (
    Article,
    CannedResponse,
    Holiday,
    Priority,
    Queue,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketCategory,
)

CATEGORIES = [
    ("warranty", "Warranty", {"hi": "वारंटी", "ta": "உத்தரவாதம்"}),
    (
        "returns",
        "Returns and refunds",
        {"hi": "वापसी और रिफ़ंड", "ta": "திருப்பி அனுப்புதல் மற்றும் பணத்திரும்பல்"},
    ),
    ("delivery", "Delivery", {"hi": "डिलीवरी", "ta": "டெலிவரி"}),
    ("installation", "Installation", {"hi": "इंस्टॉलेशन", "ta": "நிறுவல்"}),
    ("payments", "Payments", {"hi": "भुगतान", "ta": "கட்டணம்"}),
    ("account", "Your account", {"hi": "आपका खाता", "ta": "உங்கள் கணக்கு"}),
]

# slug, category, visibility, title, body, {lang: (title, body)}
ARTICLES = [
    (
        "warranty-claim",
        "warranty",
        "public",
        "How to claim your warranty",
        "Every Acme appliance has a **2-year warranty** from the date on your invoice.\n\n"
        "1. Find your invoice number (it is on the e-mail receipt).\n"
        "2. Raise a ticket in the *Warranty* category with a photo of the fault.\n"
        "3. A technician visits within 3 working days; parts and labour are free.\n\n"
        "The warranty does not cover damage from power surges, water or misuse.",
        {
            "hi": (
                "अपनी वारंटी का दावा कैसे करें",
                "हर Acme उपकरण पर चालान की तारीख़ से **2 साल की वारंटी** है।\n\n"
                "1. अपना चालान नंबर ढूँढें (यह ई-मेल रसीद पर है)।\n"
                "2. *वारंटी* श्रेणी में खराबी की फ़ोटो के साथ टिकट बनाएँ।\n"
                "3. तकनीशियन 3 कार्यदिवसों में आता है; पुर्ज़े और मज़दूरी मुफ़्त हैं।",
            ),
            "ta": (
                "உத்தரவாதத்தை எப்படி கோருவது",
                "ஒவ்வொரு Acme சாதனத்திற்கும் விலைப்பட்டியல் தேதியிலிருந்து **2 ஆண்டு உத்தரவாதம்** உண்டு.\n\n"
                "1. உங்கள் விலைப்பட்டியல் எண்ணைக் கண்டறியவும்.\n"
                "2. *உத்தரவாதம்* வகையில் பழுதின் புகைப்படத்துடன் டிக்கெட் எழுப்பவும்.\n"
                "3. 3 வேலை நாட்களில் தொழில்நுட்ப வல்லுநர் வருவார்.",
            ),
        },
    ),
    (
        "extended-warranty",
        "warranty",
        "customers",
        "Extending your warranty",
        "You can extend the warranty by 1 or 3 years any time before it ends. The extension "
        "costs 8 % of the product price per year and is paid from *My account → Plans*.",
        {},
    ),
    (
        "return-policy",
        "returns",
        "public",
        "Return policy: 10 days, no questions asked",
        "Return any product within **10 days** of delivery if it is unused and in its box. "
        "Book a pickup from your order page; the refund starts when the courier collects it.",
        {
            "hi": (
                "वापसी नीति: 10 दिन, बिना सवाल",
                "डिलीवरी के **10 दिनों** के भीतर कोई भी बिना इस्तेमाल किया उत्पाद उसके डिब्बे में "
                "लौटाएँ। अपने ऑर्डर पेज से पिकअप बुक करें।",
            ),
            "ta": (
                "திருப்பி அனுப்பும் கொள்கை: 10 நாட்கள்",
                "டெலிவரியான **10 நாட்களுக்குள்** பயன்படுத்தாத பொருளை அதன் பெட்டியுடன் திருப்பி "
                "அனுப்பலாம். உங்கள் ஆர்டர் பக்கத்திலிருந்து பிக்அப் பதிவு செய்யவும்.",
            ),
        },
    ),
    (
        "refund-time",
        "returns",
        "public",
        "When will I get my refund?",
        "Refunds reach your account **5–7 working days** after the pickup. UPI and wallet "
        "refunds are usually faster (1–2 days). Cash-on-delivery refunds go to your bank "
        "account: add it under *My account → Refunds*.",
        {
            "hi": (
                "मुझे रिफ़ंड कब मिलेगा?",
                "पिकअप के बाद रिफ़ंड **5–7 कार्यदिवसों** में आपके खाते में पहुँचता है। UPI "
                "रिफ़ंड आमतौर पर 1–2 दिन में आते हैं।",
            )
        },
    ),
    (
        "damaged-on-arrival",
        "returns",
        "public",
        "My product arrived damaged",
        "Sorry! Take photos of the box and the product **before** you throw the packing away, "
        "then raise a ticket within 48 hours. We replace damaged products free of charge.",
        {},
    ),
    (
        "track-delivery",
        "delivery",
        "public",
        "Track your delivery status",
        "Open *My orders* and choose **Track**. You will see the courier, the tracking number "
        "and the expected delivery date. Large appliances are delivered by our own team, who "
        "call you the day before.",
        {
            "hi": (
                "अपनी डिलीवरी की स्थिति देखें",
                "*मेरे ऑर्डर* खोलें और **ट्रैक** चुनें। आपको कूरियर, ट्रैकिंग नंबर और अनुमानित "
                "डिलीवरी तारीख़ दिखेगी।",
            ),
            "ta": (
                "உங்கள் டெலிவரி நிலையைக் கண்காணிக்கவும்",
                "*என் ஆர்டர்கள்* திறந்து **டிராக்** தேர்வு செய்யவும். கூரியர், கண்காணிப்பு எண் "
                "மற்றும் எதிர்பார்க்கப்படும் டெலிவரி தேதியைக் காண்பீர்கள்.",
            ),
        },
    ),
    (
        "delivery-delayed",
        "delivery",
        "public",
        "My delivery is late",
        "Most deliveries arrive in 3–5 days. If the expected date has passed, check the "
        "tracking page first; floods and festivals can add 2 days. If it still has not moved "
        "for 48 hours, raise a ticket with your order number.",
        {},
    ),
    (
        "change-address",
        "delivery",
        "customers",
        "Change the delivery address",
        "You can change the address until the order is shipped: *My orders → Change address*. "
        "After shipping, ask the courier to hold the parcel and raise a ticket.",
        {},
    ),
    (
        "installation-booking",
        "installation",
        "public",
        "Book a free installation",
        "Washing machines, air conditioners and water purifiers include **free installation**. "
        "Book a slot from your order page after delivery; the technician brings the standard "
        "kit. Extra pipes or stands are charged at the printed rate.",
        {
            "ta": (
                "இலவச நிறுவலை பதிவு செய்யவும்",
                "சலவை இயந்திரம், ஏர் கண்டிஷனர் மற்றும் நீர் சுத்திகரிப்பான்களுக்கு **இலவச நிறுவல்** "
                "உண்டு. டெலிவரிக்குப் பிறகு உங்கள் ஆர்டர் பக்கத்திலிருந்து நேரத்தை பதிவு செய்யவும்.",
            )
        },
    ),
    (
        "washing-machine-not-starting",
        "installation",
        "public",
        "Washing machine does not start",
        "Check three things:\n\n- the water tap is open and the inlet hose is not bent;\n"
        "- the door is closed until it clicks;\n- the child lock is off (hold *Temp* + *Spin* "
        "for 3 seconds).\n\nIf the display shows **E21**, the drain filter is blocked: clean "
        "it as shown in the manual.",
        {},
    ),
    (
        "ac-not-cooling",
        "installation",
        "public",
        "Air conditioner is not cooling",
        "Clean the filters every two weeks, set the mode to *Cool* (snowflake), and keep doors "
        "and windows closed. If the outdoor unit's fan does not turn, raise a ticket — do not "
        "open the unit yourself.",
        {},
    ),
    (
        "payment-methods",
        "payments",
        "public",
        "Payment methods we accept",
        "We accept UPI, credit and debit cards, net banking, EMI on cards above ₹3,000 and "
        "cash on delivery up to ₹50,000.",
        {
            "hi": (
                "भुगतान के तरीके",
                "हम UPI, क्रेडिट और डेबिट कार्ड, नेट बैंकिंग, ₹3,000 से ऊपर कार्ड पर EMI और "
                "₹50,000 तक कैश ऑन डिलीवरी स्वीकार करते हैं।",
            )
        },
    ),
    (
        "charged-twice",
        "payments",
        "public",
        "I was charged twice",
        "If your bank shows two payments for one order, the second is usually an "
        "authorisation that the bank reverses within **3 working days**. If it is still there "
        "after that, raise a ticket in *Billing* with both transaction ids; we refund it.",
        {},
    ),
    (
        "reset-password",
        "account",
        "public",
        "Reset your password",
        "Choose *Sign in → Forgot password*, enter your e-mail and follow the link we send. "
        "The link works for 24 hours.",
        {
            "hi": (
                "अपना पासवर्ड रीसेट करें",
                "*साइन इन → पासवर्ड भूल गए* चुनें, अपना ई-मेल डालें और भेजे गए लिंक का पालन करें।",
            ),
            "ta": (
                "உங்கள் கடவுச்சொல்லை மீட்டமைக்கவும்",
                "*உள்நுழை → கடவுச்சொல் மறந்துவிட்டது* தேர்வு செய்து, உங்கள் மின்னஞ்சலை உள்ளிட்டு, "
                "நாங்கள் அனுப்பும் இணைப்பைப் பின்பற்றவும்.",
            ),
        },
    ),
    (
        "invoice-download",
        "account",
        "customers",
        "Download your invoice (GST)",
        "Open *My orders*, choose the order and **Download invoice**. Business customers can "
        "add a GSTIN before the order ships so it appears on the invoice.",
        {},
    ),
]

TICKET_CATEGORIES = [
    ("Billing", {"hi": "बिलिंग", "ta": "பில்லிங்"}),
    ("Technical", {"hi": "तकनीकी", "ta": "தொழில்நுட்பம்"}),
    ("Delivery", {"hi": "डिलीवरी", "ta": "டெலிவரி"}),
    ("Warranty", {"hi": "वारंटी", "ta": "உத்தரவாதம்"}),
    ("Account", {"hi": "खाता", "ta": "கணக்கு"}),
]

CUSTOMERS = [
    ("priya", None),
    ("rahul@customers.example", "Rahul Verma"),
    ("meena@customers.example", "Meena Subramanian"),
    ("john@bigcorp.example", "John Mathew"),
    ("fatima@customers.example", "Fatima Khan"),
]

# subject, description, customer index, category, priority, days ago, outcome
TICKETS = [
    (
        "Refund not received for order 4411",
        "I returned the mixer 10 days ago and the refund is still not in my account.",
        0,
        "Billing",
        "normal",
        20,
        "rated5",
    ),
    (
        "Washing machine shows E21",
        "My front-load washing machine stops with E21 on the display after 10 minutes.",
        0,
        "Technical",
        "high",
        12,
        "resolved",
    ),
    (
        "Delivery of fridge is late",
        "The fridge was promised for Monday and it has not arrived. Order 5520.",
        0,
        "Delivery",
        "normal",
        3,
        "pending",
    ),
    (
        "Invoice needs GSTIN",
        "Please add our GSTIN 33ABCDE1234F1Z5 to invoice 8891.",
        3,
        "Billing",
        "normal",
        25,
        "rated4",
    ),
    (
        "Charged twice for AC",
        "I see two debits of ₹38,990 for one air conditioner.",
        1,
        "Billing",
        "high",
        6,
        "open",
    ),
    (
        "AC not cooling after installation",
        "The split AC was installed yesterday but blows warm air.",
        2,
        "Technical",
        "high",
        2,
        "open",
    ),
    (
        "எனது டெலிவரி எங்கே?",
        "என் ஆர்டர் 7781 இன்னும் வரவில்லை. தயவுசெய்து சரிபார்க்கவும்.",
        2,
        "Delivery",
        "normal",
        4,
        "pending",
    ),
    (
        "वारंटी दावा: माइक्रोवेव काम नहीं कर रहा",
        "मेरा माइक्रोवेव 8 महीने पुराना है और अब गरम नहीं करता।",
        4,
        "Warranty",
        "normal",
        9,
        "resolved",
    ),
    (
        "Water purifier leaking",
        "There is water under the purifier every morning.",
        1,
        "Technical",
        "normal",
        15,
        "rated3",
    ),
    (
        "Cannot reset my password",
        "The reset link says it has expired.",
        4,
        "Account",
        "low",
        18,
        "rated5",
    ),
    (
        "Dishwasher leaking water",
        "Water comes out of the dishwasher door during the rinse cycle.",
        0,
        "Technical",
        "normal",
        1,
        "new_assigned",
    ),
    (
        "Installation slot not available",
        "No installation slots are shown for my pin code 600042.",
        2,
        "Technical",
        "low",
        5,
        "open",
    ),
    (
        "Wrong colour delivered",
        "I ordered a silver fridge and got a black one.",
        1,
        "Delivery",
        "normal",
        22,
        "closed",
    ),
    (
        "EMI not applied",
        "I chose 6-month EMI but the full amount was charged.",
        3,
        "Billing",
        "high",
        1,
        "new",
    ),
    (
        "Smoke from the mixer grinder",
        "The mixer made a burning smell and smoke came out. Is it safe?",
        4,
        "Technical",
        "urgent",
        0,
        "new",
    ),
    (
        "Refund for cancelled order",
        "I cancelled order 6630 before shipping; when will the refund come?",
        0,
        "Billing",
        "normal",
        27,
        "rated4",
    ),
    (
        "Courier asked for extra money",
        "The delivery person asked me for ₹200 extra.",
        2,
        "Delivery",
        "high",
        8,
        "resolved",
    ),
    (
        "Change delivery address",
        "Please deliver order 9012 to my office instead.",
        3,
        "Delivery",
        "normal",
        11,
        "closed",
    ),
    (
        "Fridge making noise",
        "The new fridge makes a loud humming noise at night.",
        1,
        "Technical",
        "normal",
        14,
        "pending_old",
    ),
    (
        "Account e-mail change",
        "I want to change the e-mail on my account.",
        4,
        "Account",
        "low",
        16,
        "rated5",
    ),
    (
        "Extended warranty price",
        "How much does a 3-year extension cost for a ₹45,000 TV?",
        0,
        "Warranty",
        "low",
        7,
        "resolved",
    ),
    (
        "Induction cooktop error E1",
        "The cooktop beeps and shows E1.",
        2,
        "Technical",
        "normal",
        10,
        "rated2",
    ),
    (
        "Payment failed but money deducted",
        "UPI payment failed but ₹12,499 was debited.",
        1,
        "Billing",
        "urgent",
        0,
        "new_assigned",
    ),
    (
        "Missing remote for AC",
        "The box did not contain the remote.",
        3,
        "Delivery",
        "normal",
        13,
        "rated4",
    ),
    (
        "Warranty card not received",
        "No warranty card was in the box.",
        4,
        "Warranty",
        "low",
        19,
        "closed",
    ),
    (
        "Geyser trips the breaker",
        "Whenever I switch on the geyser the MCB trips.",
        0,
        "Technical",
        "high",
        2,
        "open",
    ),
    (
        "Order shows delivered but not received",
        "Tracking says delivered but I got nothing.",
        1,
        "Delivery",
        "high",
        1,
        "open",
    ),
    ("रिफ़ंड की स्थिति", "मेरा रिफ़ंड 10 दिन से लंबित है।", 4, "Billing", "normal", 6, "pending"),
    (
        "Demo for robot vacuum",
        "Can someone show me how to set up the robot vacuum map?",
        2,
        "Technical",
        "low",
        23,
        "rated5",
    ),
    (
        "Bulk order invoice",
        "We bought 20 fans; please send one consolidated invoice.",
        3,
        "Billing",
        "normal",
        4,
        "open",
    ),
    (
        "Chimney installation charges",
        "Why was I charged for chimney installation?",
        0,
        "Billing",
        "normal",
        21,
        "rated3",
    ),
    ("TV wall mount", "Does the TV come with a wall mount?", 1, "Technical", "low", 26, "closed"),
    (
        "Coupon not applied",
        "The coupon DIWALI10 did not reduce the price.",
        2,
        "Billing",
        "low",
        17,
        "resolved",
    ),
    (
        "Fridge door seal torn",
        "The door seal of my fridge is torn after 1 year.",
        4,
        "Warranty",
        "normal",
        3,
        "new_assigned",
    ),
    (
        "Mixer jar cracked on arrival",
        "One of the jars was cracked when I opened the box.",
        0,
        "Delivery",
        "normal",
        24,
        "rated5",
    ),
    (
        "Water purifier filter change",
        "When should I change the filter?",
        1,
        "Technical",
        "low",
        9,
        "resolved",
    ),
    ("Login OTP not coming", "I don't get the OTP SMS to sign in.", 3, "Account", "high", 0, "new"),
    (
        "Installation technician did not come",
        "The technician did not come for the booked slot today.",
        2,
        "Technical",
        "high",
        1,
        "open",
    ),
    (
        "Refund to wrong account",
        "The refund went to my old bank account.",
        4,
        "Billing",
        "normal",
        12,
        "pending_old",
    ),
    (
        "WIN FREE MONEY click here NOW",
        "Earn $5000 a day! Click here http://spam.example "
        "http://spam.example/2 http://spam.example/3 casino bitcoin",
        1,
        None,
        "normal",
        2,
        "spam",
    ),
]

AGENT_REPLIES = {
    "Billing": "Thank you, {name}. I checked the payment records: {fix}",
    "Technical": "Hello {name}, thanks for the details. {fix}",
    "Delivery": "Hi {name}, I spoke to the courier team. {fix}",
    "Warranty": "Dear {name}, your product is under warranty. {fix}",
    "Account": "Hi {name}, {fix}",
}
FIXES = {
    "Billing": "the amount has been refunded and should reach you in 3–5 working days.",
    "Technical": "a technician is booked for tomorrow between 10:00 and 13:00.",
    "Delivery": "the parcel is at the local hub and will reach you tomorrow.",
    "Warranty": "we will replace the part free of charge; a technician will call you.",
    "Account": "I have updated your account; please sign in again.",
}
RATING_COMMENTS = {
    5: "Quick and clear answer, thank you!",
    4: "Good help, took a day.",
    3: "Solved, but I had to explain twice.",
    2: "Slow response.",
}


def _customer(key: str, name: str | None, org) -> User:
    if name is None:
        user = demo_user(key)
    else:
        user, created = User.objects.get_or_create(email=key, defaults={"display_name": name})
        if created:
            user.set_unusable_password()
            user.save()
    if not Membership.objects.filter(user=user, organisation=org).exists():
        add_member(organisation=org, user=user, role=Role.CUSTOMER)
    return user


def _at(day_offset: int, hour: int):
    now = timezone.localtime()
    moment = (now - timedelta(days=day_offset)).replace(
        hour=hour, minute=15, second=0, microsecond=0
    )
    return min(moment, now - timedelta(minutes=30))


@transaction.atomic
def run(*, stdout) -> None:
    org = demo_org("acme-support")
    admin, asha, ravi, kavya = (
        demo_user("admin"),
        demo_user("agent"),
        demo_user("agent2"),
        demo_user("manager"),
    )
    cfg = services.settings_for(org)
    cfg.work_start, cfg.work_end, cfg.work_days = time(9), time(18), "0,1,2,3,4,5"
    cfg.support_address = "support@acme-support.example"
    cfg.pending_reminder_days, cfg.auto_close_days, cfg.reopen_days = 3, 7, 14
    cfg.save()
    year = timezone.localdate().year
    for day, name in [
        (date(year, 1, 26), "Republic Day"),
        (date(year, 8, 15), "Independence Day"),
        (date(year, 10, 2), "Gandhi Jayanti"),
    ]:
        Holiday.objects.get_or_create(organisation=org, day=day, defaults={"name": name})
    for priority, first, resolution in [
        (Priority.URGENT, 60, 240),
        (Priority.HIGH, 240, 960),
        (Priority.NORMAL, 480, 2400),
        (Priority.LOW, 960, 4800),
    ]:
        SLAPolicy.objects.update_or_create(
            organisation=org,
            priority=priority,
            defaults={
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "warn_before_minutes": max(30, first // 4),
            },
        )

    # knowledge base
    categories = {}
    for i, (slug, name, names) in enumerate(CATEGORIES):
        categories[slug] = services.save_category(
            actor=admin, organisation=org, name=name, slug=slug, names=names, position=i
        )
    created_articles = 0
    for slug, cat, visibility, title, body, translations in ARTICLES:
        if Article.objects.filter(organisation=org, slug=slug).exists():
            continue
        article = services.save_article(
            actor=admin,
            organisation=org,
            slug=slug,
            title=title,
            body=body,
            category=categories[cat],
            status=Article.Status.PUBLISHED,
            visibility=visibility,
        )
        for lang, (t_title, t_body) in translations.items():
            services.set_article_translation(
                actor=admin, article=article, language=lang, title=t_title, body=t_body
            )
        created_articles += 1
    if not Article.objects.filter(organisation=org, slug="new-dryer-range").exists():
        services.save_article(
            actor=admin,
            organisation=org,
            slug="new-dryer-range",
            title="Our new dryer range (draft)",
            body="Coming soon: heat-pump dryers.",
            category=categories["installation"],
        )

    # queues, categories, routing, canned responses
    queues = {}
    for name, mode in [
        ("Billing", Queue.Assignment.LEAST_OPEN),
        ("Technical", Queue.Assignment.ROUND_ROBIN),
        ("Delivery", Queue.Assignment.LEAST_OPEN),
    ]:
        queues[name] = services.save_queue(
            actor=admin, organisation=org, name=name, assignment=mode, manager=kavya
        )
    services.add_queue_member(actor=admin, queue=queues["Billing"], user=asha, languages="en,hi")
    services.add_queue_member(actor=admin, queue=queues["Technical"], user=asha, languages="en,hi")
    services.add_queue_member(actor=admin, queue=queues["Technical"], user=ravi, languages="en,ta")
    services.add_queue_member(actor=admin, queue=queues["Delivery"], user=ravi, languages="en,ta")
    ticket_categories = {}
    for name, names in TICKET_CATEGORIES:
        ticket_categories[name], _c = TicketCategory.objects.get_or_create(
            organisation=org, name=name, defaults={"names": names}
        )
    if not RoutingRule.objects.filter(organisation=org).exists():
        rules = [
            (
                "Safety words are urgent",
                None,
                "smoke,fire,shock,burning,sparks",
                "",
                "",
                "Technical",
                Priority.URGENT,
            ),
            ("Business customers", None, "", "", "bigcorp.example", "Billing", Priority.HIGH),
            (
                "Money matters",
                None,
                "refund,payment,charged,invoice,emi,debited,coupon",
                "",
                "",
                "Billing",
                "",
            ),
            ("Billing category", "Billing", "", "", "", "Billing", ""),
            (
                "Deliveries",
                None,
                "delivery,courier,tracking,parcel,arrived,delivered",
                "",
                "",
                "Delivery",
                "",
            ),
            ("Delivery category", "Delivery", "", "", "", "Delivery", ""),
            ("Tamil speakers", None, "", "ta", "", "Delivery", ""),
            ("Everything else technical", None, "", "", "", "Technical", ""),
        ]
        for i, (name, cat, words, lang, domain, queue, priority) in enumerate(rules):
            RoutingRule.objects.create(
                organisation=org,
                name=name,
                position=i * 10,
                category=ticket_categories.get(cat) if cat else None,
                keywords=words,
                language=lang,
                customer_domain=domain,
                queue=queues[queue],
                priority=priority,
            )
    if not CannedResponse.objects.filter(organisation=org).exists():
        for title, body in [
            (
                "Refund timeline",
                "Hello {customer_name},\n\nYour refund for {ticket_number} has "
                "been processed. It reaches your account in 5–7 working days.\n\n{agent_name}",
            ),
            (
                "Technician visit",
                "Hello {customer_name},\n\nA technician will visit within 3 "
                'working days about "{subject}". You will get a call the day before.\n\n'
                "{agent_name}",
            ),
            (
                "Need more details",
                "Hello {customer_name},\n\nCould you send a photo and your "
                "order number so we can help with {ticket_number}?\n\n{agent_name}",
            ),
        ]:
            CannedResponse.objects.create(organisation=org, title=title, body=body)

    # tickets
    if Ticket.objects.filter(organisation=org).count() >= len(TICKETS):
        stdout.write(f"helpdesk: {created_articles} articles added; tickets already seeded\n")
        return
    customers = [_customer(key, name, org) for key, name in CUSTOMERS]
    from concierge.feedback.services import rate

    for subject, description, who, cat, priority, days, outcome in TICKETS:
        customer = customers[who]
        created = _at(days, 10 + (len(subject) % 6))
        ticket = services.create_ticket(
            organisation=org,
            customer=customer,
            subject=subject,
            description=description,
            category=ticket_categories.get(cat) if cat else None,
            customer_priority=priority,
            now=created,
            check_limits=False,
        )
        if outcome in ("new", "spam"):
            continue
        if outcome == "new_assigned":
            if ticket.assignee is None:
                services.change_ticket(agent=asha, ticket=ticket, assignee=asha, now=created)
            continue
        agent = ticket.assignee or asha
        name = customer.name.split()[0]
        fix = FIXES.get(cat or "Account", FIXES["Account"])
        first = AGENT_REPLIES.get(cat or "Account", "{fix}").format(name=name, fix=fix)
        reply_at = created + timedelta(hours=2 if priority in ("high", "urgent") else 5)
        reply_at = min(reply_at, timezone.now() - timedelta(minutes=5))
        seen = services.last_public_message_id(ticket)
        if outcome == "open":
            services.reply_as_agent(
                agent=agent,
                ticket=ticket,
                seen_message_id=seen,
                body="We are looking into this and will update you today.",
                status_after=Ticket.Status.OPEN,
                now=reply_at,
            )
            services.add_note(
                agent=agent,
                ticket=ticket,
                now=reply_at,
                body="Checked the order history; waiting for the partner team.",
            )
            continue
        if outcome in ("pending", "pending_old"):
            when = reply_at if outcome == "pending" else created + timedelta(hours=3)
            services.reply_as_agent(
                agent=agent,
                ticket=ticket,
                seen_message_id=seen,
                body=f"Hello {name}, could you send a photo and your order number?",
                status_after=Ticket.Status.PENDING,
                now=when,
            )
            continue
        services.reply_as_agent(
            agent=agent,
            ticket=ticket,
            seen_message_id=seen,
            body="Could you confirm the order number?",
            status_after=Ticket.Status.PENDING,
            now=reply_at,
        )
        services.reply_as_customer(
            customer=customer,
            ticket=ticket,
            body="Yes, it is the order on my account from last week.",
            now=reply_at + timedelta(hours=1),
        )
        ticket.refresh_from_db()
        services.reply_as_agent(
            agent=agent,
            ticket=ticket,
            seen_message_id=services.last_public_message_id(ticket),
            body=first,
            status_after=Ticket.Status.RESOLVED,
            now=reply_at + timedelta(hours=3),
        )
        ticket.refresh_from_db()
        if outcome == "closed":
            services.close_by_customer(
                customer=customer, ticket=ticket, now=reply_at + timedelta(hours=5)
            )
        if outcome.startswith("rated"):
            score = int(outcome[-1])
            rate(
                user=customer,
                target=ticket,
                score=score,
                comment=RATING_COMMENTS[score],
                context="csat",
            )
    # a possible duplicate for the agents to merge
    services.create_ticket(
        organisation=org,
        customer=customers[0],
        subject="Dishwasher door leaks water",
        description="Water leaks from the dishwasher door while rinsing.",
        category=ticket_categories["Technical"],
        now=_at(0, 9),
        check_limits=False,
    )
    stdout.write(
        f"helpdesk: {created_articles} articles, "
        f"{Ticket.objects.filter(organisation=org).count()} tickets\n"
    )
