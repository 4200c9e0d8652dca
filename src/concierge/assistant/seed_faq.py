"""Demo knowledge for Acme Appliances Support: 25 answers in English, Hindi and Tamil, each
with the ways customers actually ask (used by seed.py and the tests)."""

# slug: {lang: (question, answer, [paraphrases])}
FAQ = {
    "delivery-status": {
        "en": (
            "Where is my order?",
            "You can track your order under My orders. We send an SMS with the tracking link "
            "as soon as it leaves the warehouse.",
            [
                "track my order",
                "delivery status of my order",
                "my order has not arrived yet",
                "when will my parcel come",
            ],
        ),
        "hi": (
            "मेरा ऑर्डर कहाँ है?",
            "आप 'मेरे ऑर्डर' में अपना ऑर्डर ट्रैक कर सकते हैं। गोदाम से निकलते ही हम ट्रैकिंग "
            "लिंक के साथ एसएमएस भेजते हैं।",
            [
                "मेरा ऑर्डर अभी तक नहीं आया",
                "ऑर्डर ट्रैक कैसे करें",
                "मेरा पार्सल कब आएगा",
                "mera order kahan hai",
            ],
        ),
        "ta": (
            "என் ஆர்டர் எங்கே?",
            "'என் ஆர்டர்கள்' பகுதியில் உங்கள் ஆர்டரைக் கண்காணிக்கலாம். கிடங்கிலிருந்து "
            "அனுப்பியவுடன் கண்காணிப்பு இணைப்புடன் எஸ்எம்எஸ் அனுப்புவோம்.",
            ["என் ஆர்டர் இன்னும் வரவில்லை", "ஆர்டரை எப்படி கண்காணிப்பது", "என் பார்சல் எப்போது வரும்"],
        ),
    },
    "delivery-time": {
        "en": (
            "How long does delivery take?",
            "Delivery takes 2 to 4 working days in cities and up to 7 days elsewhere.",
            ["how many days for delivery", "delivery time to my city", "how fast do you deliver"],
        ),
        "hi": (
            "डिलीवरी में कितना समय लगता है?",
            "शहरों में डिलीवरी में 2 से 4 कार्य दिवस और बाकी जगहों पर 7 दिन तक लगते हैं।",
            ["डिलीवरी कितने दिन में होगी", "सामान कितने दिन में पहुँचेगा", "delivery kitne din mein hogi"],
        ),
        "ta": (
            "டெலிவரிக்கு எவ்வளவு நாள் ஆகும்?",
            "நகரங்களில் 2 முதல் 4 வேலை நாட்களிலும் மற்ற இடங்களில் 7 நாட்கள் வரையிலும் டெலிவரி ஆகும்.",
            ["எத்தனை நாளில் டெலிவரி ஆகும்", "பொருள் எப்போது வந்து சேரும்"],
        ),
    },
    "delivery-charges": {
        "en": (
            "Do you charge for delivery?",
            "Delivery is free on orders above ₹999; below that it costs ₹49.",
            ["delivery charges", "is shipping free", "shipping cost"],
        ),
        "hi": (
            "क्या डिलीवरी का शुल्क लगता है?",
            "₹999 से ऊपर के ऑर्डर पर डिलीवरी मुफ़्त है; उससे कम पर ₹49 लगते हैं।",
            ["डिलीवरी चार्ज कितना है", "क्या शिपिंग मुफ़्त है"],
        ),
        "ta": (
            "டெலிவரிக்கு கட்டணம் உண்டா?",
            "₹999-க்கு மேற்பட்ட ஆர்டர்களுக்கு டெலிவரி இலவசம்; அதற்குக் குறைவானவற்றுக்கு ₹49.",
            ["டெலிவரி கட்டணம் எவ்வளவு", "ஷிப்பிங் இலவசமா"],
        ),
    },
    "cancel-order": {
        "en": (
            "How do I cancel my order?",
            "Open My orders, choose the order and press Cancel. Orders can be cancelled "
            "until they are shipped.",
            ["cancel an order", "i want to cancel my purchase", "stop my order"],
        ),
        "hi": (
            "मैं अपना ऑर्डर कैसे रद्द करूँ?",
            "'मेरे ऑर्डर' खोलें, ऑर्डर चुनें और रद्द करें दबाएँ। भेजे जाने तक ऑर्डर रद्द किया जा सकता है।",
            ["ऑर्डर कैंसिल करना है", "मुझे ऑर्डर रद्द करना है", "order cancel kaise kare"],
        ),
        "ta": (
            "என் ஆர்டரை எப்படி ரத்து செய்வது?",
            "'என் ஆர்டர்கள்' திறந்து, ஆர்டரைத் தேர்ந்தெடுத்து ரத்து என்பதை அழுத்தவும். "
            "அனுப்பப்படும் வரை ஆர்டரை ரத்து செய்யலாம்.",
            ["ஆர்டரை ரத்து செய்ய வேண்டும்", "ஆர்டர் கேன்சல் செய்வது எப்படி"],
        ),
    },
    "returns": {
        "en": (
            "How do I return a product?",
            "You can return any product within 10 days of delivery from My orders > Return. "
            "We pick it up from your home for free.",
            [
                "return policy",
                "i want to send it back",
                "how to return an item",
                "can i return a product i don't like",
            ],
        ),
        "hi": (
            "मैं सामान कैसे वापस करूँ?",
            "डिलीवरी के 10 दिनों के भीतर 'मेरे ऑर्डर' > 'वापसी' से कोई भी सामान वापस कर सकते "
            "हैं। हम घर से मुफ़्त में उठा लेते हैं।",
            ["सामान लौटाना है", "वापसी नीति क्या है", "product wapas kaise kare"],
        ),
        "ta": (
            "பொருளை எப்படி திருப்பி அனுப்புவது?",
            "டெலிவரியிலிருந்து 10 நாட்களுக்குள் 'என் ஆர்டர்கள்' > 'திருப்பி அனுப்பு' மூலம் "
            "எந்தப் பொருளையும் திருப்பி அனுப்பலாம். வீட்டிலிருந்து இலவசமாக எடுத்துச் "
            "செல்வோம்.",
            ["பொருளை திருப்பி தர வேண்டும்", "திருப்பி அனுப்பும் கொள்கை என்ன"],
        ),
    },
    "refund-time": {
        "en": (
            "When will I get my refund?",
            "Refunds reach your account within 5 to 7 working days after we collect the product.",
            ["refund status", "my refund has not come", "how long does a refund take"],
        ),
        "hi": (
            "मुझे रिफंड कब मिलेगा?",
            "सामान उठाने के 5 से 7 कार्य दिवसों में रिफंड आपके खाते में आ जाता है।",
            ["रिफंड अभी तक नहीं आया", "पैसे वापस कब आएँगे", "refund kab milega"],
        ),
        "ta": (
            "என் பணம் எப்போது திரும்ப கிடைக்கும்?",
            "பொருளை எடுத்த பிறகு 5 முதல் 7 வேலை நாட்களில் பணம் உங்கள் கணக்கில் வரும்.",
            ["ரீஃபண்ட் இன்னும் வரவில்லை", "பணம் திரும்ப எத்தனை நாள் ஆகும்"],
        ),
    },
    "exchange": {
        "en": (
            "Can I exchange a product?",
            "Yes, within 10 days you can exchange a product for another model; you pay or "
            "get back the price difference.",
            ["exchange for another model", "swap my product", "replace with a different one"],
        ),
        "hi": (
            "क्या मैं सामान बदल सकता हूँ?",
            "हाँ, 10 दिनों के भीतर आप दूसरा मॉडल ले सकते हैं; कीमत का अंतर देना या वापस लेना होगा।",
            ["सामान एक्सचेंज करना है", "दूसरा मॉडल चाहिए"],
        ),
        "ta": (
            "பொருளை மாற்றிக்கொள்ளலாமா?",
            "ஆம், 10 நாட்களுக்குள் வேறு மாடலுக்கு மாற்றலாம்; விலை வித்தியாசத்தைச் செலுத்த "
            "வேண்டும் அல்லது திரும்பப் பெறலாம்.",
            ["வேறு மாடல் வேண்டும்", "பொருளை எக்ஸ்சேஞ்ச் செய்ய வேண்டும்"],
        ),
    },
    "warranty": {
        "en": (
            "What is the warranty on your products?",
            "Every Acme appliance has a two-year warranty; compressors and motors have five years.",
            [
                "how long is the guarantee",
                "is my fridge under warranty",
                "warranty period for washing machine",
            ],
        ),
        "hi": (
            "आपके उत्पादों पर वारंटी कितनी है?",
            "हर Acme उपकरण पर दो साल की वारंटी है; कंप्रेसर और मोटर पर पाँच साल।",
            ["गारंटी कितने साल की है", "क्या मेरा फ्रिज वारंटी में है", "warranty kitni hai"],
        ),
        "ta": (
            "உங்கள் பொருட்களுக்கு உத்தரவாதம் எவ்வளவு?",
            "ஒவ்வொரு Acme சாதனத்திற்கும் இரண்டு ஆண்டு உத்தரவாதம்; கம்ப்ரசர் மற்றும் மோட்டாருக்கு ஐந்து ஆண்டுகள்.",
            ["கியாரண்டி எத்தனை ஆண்டு", "என் ஃப்ரிட்ஜ் உத்தரவாதத்தில் உள்ளதா"],
        ),
    },
    "warranty-claim": {
        "en": (
            "How do I make a warranty claim?",
            "Raise a service request with your invoice number; a technician visits within "
            "48 hours and the repair is free under warranty.",
            ["claim warranty", "my product broke under warranty", "free repair under warranty"],
        ),
        "hi": (
            "वारंटी क्लेम कैसे करें?",
            "अपने बिल नंबर के साथ सर्विस अनुरोध दर्ज करें; 48 घंटे में तकनीशियन आएगा और वारंटी में मरम्मत मुफ़्त है।",
            ["वारंटी में मुफ़्त मरम्मत", "वारंटी का दावा करना है"],
        ),
        "ta": (
            "உத்தரவாத கோரிக்கை எப்படி செய்வது?",
            "உங்கள் பில் எண்ணுடன் சேவை கோரிக்கை பதிவு செய்யுங்கள்; 48 மணி நேரத்தில் "
            "தொழில்நுட்பர் வருவார், உத்தரவாதத்தில் பழுது நீக்கம் இலவசம்.",
            ["உத்தரவாதத்தில் இலவச பழுது", "வாரண்டி க்ளெய்ம் செய்ய வேண்டும்"],
        ),
    },
    "extended-warranty": {
        "en": (
            "Can I buy an extended warranty?",
            "Yes, you can add 1 or 2 extra years of warranty within 6 months of purchase.",
            ["extend my warranty", "extra warranty plan", "buy more years of warranty"],
        ),
        "hi": (
            "क्या मैं एक्सटेंडेड वारंटी खरीद सकता हूँ?",
            "हाँ, खरीद के 6 महीने के भीतर 1 या 2 साल की अतिरिक्त वारंटी जोड़ सकते हैं।",
            ["वारंटी बढ़वानी है", "अतिरिक्त वारंटी प्लान"],
        ),
        "ta": (
            "கூடுதல் உத்தரவாதம் வாங்கலாமா?",
            "ஆம், வாங்கிய 6 மாதங்களுக்குள் 1 அல்லது 2 கூடுதல் ஆண்டுகள் உத்தரவாதம் சேர்க்கலாம்.",
            ["உத்தரவாதத்தை நீட்டிக்க வேண்டும்", "கூடுதல் வாரண்டி திட்டம்"],
        ),
    },
    "payment-methods": {
        "en": (
            "Which payment methods do you accept?",
            "We accept UPI, debit and credit cards, net banking and cash on delivery.",
            [
                "can i pay with upi",
                "do you take credit cards",
                "is cash on delivery available",
                "payment options",
            ],
        ),
        "hi": (
            "आप कौन-कौन से भुगतान स्वीकार करते हैं?",
            "हम यूपीआई, डेबिट और क्रेडिट कार्ड, नेट बैंकिंग और कैश ऑन डिलीवरी स्वीकार करते हैं।",
            ["क्या यूपीआई से भुगतान कर सकते हैं", "कैश ऑन डिलीवरी है क्या", "payment kaise kare"],
        ),
        "ta": (
            "எந்த கட்டண முறைகளை ஏற்கிறீர்கள்?",
            "யுபிஐ, டெபிட் மற்றும் கிரெடிட் கார்டுகள், நெட் பேங்கிங் மற்றும் கேஷ் ஆன் டெலிவரி ஏற்கிறோம்.",
            ["யுபிஐ மூலம் பணம் செலுத்தலாமா", "கேஷ் ஆன் டெலிவரி உண்டா"],
        ),
    },
    "emi": {
        "en": (
            "Do you offer EMI?",
            "Yes, no-cost EMI for 3 to 12 months is available on credit cards for orders "
            "above ₹5,000.",
            ["monthly instalments", "pay in installments", "no cost emi"],
        ),
        "hi": (
            "क्या ईएमआई की सुविधा है?",
            "हाँ, ₹5,000 से ऊपर के ऑर्डर पर क्रेडिट कार्ड से 3 से 12 महीने की बिना ब्याज ईएमआई मिलती है।",
            ["किस्तों में भुगतान", "बिना ब्याज ईएमआई", "emi milega kya"],
        ),
        "ta": (
            "இஎம்ஐ வசதி உண்டா?",
            "ஆம், ₹5,000-க்கு மேற்பட்ட ஆர்டர்களுக்கு கிரெடிட் கார்டில் 3 முதல் 12 மாத வட்டியில்லா இஎம்ஐ உண்டு.",
            ["தவணையில் பணம் செலுத்தலாமா", "மாதத் தவணை வசதி"],
        ),
    },
    "payment-failed": {
        "en": (
            "My payment failed but money was deducted",
            "Don't worry: a failed payment is returned to your account automatically within "
            "3 working days.",
            ["payment failed", "money debited but order not placed", "transaction failed"],
        ),
        "hi": (
            "भुगतान फेल हो गया पर पैसे कट गए",
            "चिंता न करें: फेल हुआ भुगतान 3 कार्य दिवसों में अपने-आप आपके खाते में लौट आता है।",
            ["पेमेंट फेल हो गया", "पैसे कट गए पर ऑर्डर नहीं हुआ"],
        ),
        "ta": (
            "பணம் கழிக்கப்பட்டது ஆனால் கட்டணம் தோல்வியடைந்தது",
            "கவலை வேண்டாம்: தோல்வியடைந்த கட்டணம் 3 வேலை நாட்களில் தானாக உங்கள் கணக்கிற்குத் திரும்பும்.",
            ["பேமெண்ட் தோல்வி", "பணம் போனது ஆர்டர் ஆகவில்லை"],
        ),
    },
    "invoice": {
        "en": (
            "How do I get my invoice?",
            "Your GST invoice is e-mailed after delivery and can be downloaded from My orders.",
            ["download invoice", "i need a gst bill", "where is my bill"],
        ),
        "hi": (
            "मुझे बिल कैसे मिलेगा?",
            "डिलीवरी के बाद जीएसटी बिल ई-मेल किया जाता है और 'मेरे ऑर्डर' से डाउनलोड किया जा सकता है।",
            ["बिल डाउनलोड करना है", "जीएसटी बिल चाहिए"],
        ),
        "ta": (
            "என் பில் எப்படி கிடைக்கும்?",
            "டெலிவரிக்குப் பிறகு ஜிஎஸ்டி பில் மின்னஞ்சலில் அனுப்பப்படும்; 'என் ஆர்டர்கள்' பகுதியில் பதிவிறக்கலாம்.",
            ["பில் பதிவிறக்க வேண்டும்", "ஜிஎஸ்டி பில் வேண்டும்"],
        ),
    },
    "installation": {
        "en": (
            "Do you install the appliance?",
            "Yes. Our technician installs ACs, washing machines and water heaters within 48 "
            "hours of delivery; book it in My orders.",
            [
                "book installation",
                "who will install my ac",
                "installation of washing machine",
                "when will the technician come to install",
            ],
        ),
        "hi": (
            "क्या आप उपकरण लगाते हैं?",
            "हाँ। डिलीवरी के 48 घंटे में हमारे तकनीशियन एसी, वॉशिंग मशीन और गीज़र लगाते हैं; "
            "'मेरे ऑर्डर' में बुक करें।",
            ["इंस्टॉलेशन बुक करना है", "एसी कौन लगाएगा", "installation kab hoga"],
        ),
        "ta": (
            "சாதனத்தை நிறுவித் தருவீர்களா?",
            "ஆம். டெலிவரியிலிருந்து 48 மணி நேரத்தில் எங்கள் தொழில்நுட்பர் ஏசி, வாஷிங் "
            "மெஷின், வாட்டர் ஹீட்டர் நிறுவுவார்; 'என் ஆர்டர்கள்' பகுதியில் பதிவு செய்யுங்கள்.",
            ["இன்ஸ்டலேஷன் பதிவு செய்ய வேண்டும்", "ஏசி யார் பொருத்துவார்கள்"],
        ),
    },
    "installation-charges": {
        "en": (
            "Is installation free?",
            "Installation is free for washing machines and water heaters; AC installation "
            "costs ₹1,499 including the standard kit.",
            ["installation charges", "how much for ac installation", "cost of installation"],
        ),
        "hi": (
            "क्या इंस्टॉलेशन मुफ़्त है?",
            "वॉशिंग मशीन और गीज़र का इंस्टॉलेशन मुफ़्त है; एसी के लिए मानक किट सहित ₹1,499।",
            ["इंस्टॉलेशन का चार्ज कितना है", "एसी लगाने का खर्च"],
        ),
        "ta": (
            "நிறுவல் இலவசமா?",
            "வாஷிங் மெஷின் மற்றும் வாட்டர் ஹீட்டர் நிறுவல் இலவசம்; ஏசி நிறுவலுக்கு நிலையான கிட் உட்பட ₹1,499.",
            ["இன்ஸ்டலேஷன் கட்டணம் எவ்வளவு", "ஏசி பொருத்த செலவு"],
        ),
    },
    "store-hours": {
        "en": (
            "What are your store hours?",
            "Our stores are open every day from 10 am to 9 pm, and until 10 pm on weekends.",
            [
                "when are you open",
                "opening time of the shop",
                "is the store open on sunday",
                "closing time",
            ],
        ),
        "hi": (
            "आपकी दुकान कब खुलती है?",
            "हमारी दुकानें रोज़ सुबह 10 से रात 9 बजे तक और सप्ताहांत में रात 10 बजे तक खुली रहती हैं।",
            ["दुकान का समय क्या है", "क्या रविवार को दुकान खुली है", "shop kab khulti hai"],
        ),
        "ta": (
            "உங்கள் கடை நேரம் என்ன?",
            "எங்கள் கடைகள் தினமும் காலை 10 முதல் இரவு 9 வரையும், வார இறுதியில் இரவு 10 வரையும் திறந்திருக்கும்.",
            ["கடை எப்போது திறக்கும்", "ஞாயிற்றுக்கிழமை கடை திறந்திருக்குமா"],
        ),
    },
    "store-locations": {
        "en": (
            "Where are your stores?",
            "We have stores in Chennai, Bengaluru, Coimbatore and Madurai; see the store "
            "list for addresses.",
            ["store near me", "shop address", "nearest showroom"],
        ),
        "hi": (
            "आपकी दुकानें कहाँ हैं?",
            "हमारी दुकानें चेन्नई, बेंगलुरु, कोयंबटूर और मदुरै में हैं; पते दुकान सूची में देखें।",
            ["नज़दीकी शोरूम कहाँ है", "दुकान का पता"],
        ),
        "ta": (
            "உங்கள் கடைகள் எங்கே உள்ளன?",
            "சென்னை, பெங்களூரு, கோயம்புத்தூர், மதுரையில் கடைகள் உள்ளன; முகவரிகளுக்கு கடைப் பட்டியலைப் பாருங்கள்.",
            ["அருகிலுள்ள ஷோரூம் எங்கே", "கடை முகவரி"],
        ),
    },
    "service-request": {
        "en": (
            "My appliance is not working",
            "Sorry about that! Raise a service request under Support > Repair; a technician "
            "calls you within 24 hours.",
            [
                "book a repair",
                "fridge not cooling",
                "washing machine stopped working",
                "need a technician",
            ],
        ),
        "hi": (
            "मेरा उपकरण काम नहीं कर रहा",
            "असुविधा के लिए खेद है! सहायता > मरम्मत में सर्विस अनुरोध दर्ज करें; 24 घंटे में "
            "तकनीशियन आपको कॉल करेगा।",
            ["फ्रिज ठंडा नहीं कर रहा", "मरम्मत बुक करनी है", "machine kharab ho gayi"],
        ),
        "ta": (
            "என் சாதனம் வேலை செய்யவில்லை",
            "சிரமத்திற்கு வருந்துகிறோம்! உதவி > பழுது பகுதியில் சேவை கோரிக்கை பதிவு "
            "செய்யுங்கள்; 24 மணி நேரத்தில் தொழில்நுட்பர் அழைப்பார்.",
            ["ஃப்ரிட்ஜ் குளிரவில்லை", "பழுது பார்க்க ஆள் வேண்டும்"],
        ),
    },
    "spare-parts": {
        "en": (
            "Do you sell spare parts?",
            "Yes, genuine spare parts are available at every store and through our technicians.",
            ["buy spare parts", "genuine parts", "replacement part for my mixer"],
        ),
        "hi": (
            "क्या आप स्पेयर पार्ट्स बेचते हैं?",
            "हाँ, असली स्पेयर पार्ट्स हर दुकान पर और हमारे तकनीशियनों के पास मिलते हैं।",
            ["असली पार्ट्स चाहिए", "मिक्सर का पार्ट"],
        ),
        "ta": (
            "உதிரி பாகங்கள் விற்கிறீர்களா?",
            "ஆம், அசல் உதிரி பாகங்கள் ஒவ்வொரு கடையிலும் எங்கள் தொழில்நுட்பர்களிடமும் கிடைக்கும்.",
            ["அசல் உதிரி பாகம் வேண்டும்", "மிக்சி பாகம்"],
        ),
    },
    "change-address": {
        "en": (
            "Can I change my delivery address?",
            "You can change the address in My orders until the order is shipped.",
            ["update shipping address", "wrong address on my order", "deliver to another address"],
        ),
        "hi": (
            "क्या मैं डिलीवरी का पता बदल सकता हूँ?",
            "ऑर्डर भेजे जाने तक आप 'मेरे ऑर्डर' में पता बदल सकते हैं।",
            ["पता गलत है", "दूसरे पते पर डिलीवरी", "address change karna hai"],
        ),
        "ta": (
            "டெலிவரி முகவரியை மாற்றலாமா?",
            "ஆர்டர் அனுப்பப்படும் வரை 'என் ஆர்டர்கள்' பகுதியில் முகவரியை மாற்றலாம்.",
            ["முகவரி தவறு", "வேறு முகவரிக்கு டெலிவரி"],
        ),
    },
    "damaged-product": {
        "en": (
            "I received a damaged product",
            "We're sorry! Report it within 48 hours with a photo from My orders and we "
            "replace it free of charge.",
            ["product arrived broken", "box was damaged", "received a defective item"],
        ),
        "hi": (
            "मुझे टूटा हुआ सामान मिला",
            "हमें खेद है! 48 घंटे के भीतर 'मेरे ऑर्डर' से फोटो के साथ बताएँ, हम मुफ़्त में बदल देंगे।",
            ["सामान टूटा हुआ आया", "खराब सामान मिला"],
        ),
        "ta": (
            "சேதமடைந்த பொருள் வந்தது",
            "வருந்துகிறோம்! 48 மணி நேரத்துக்குள் 'என் ஆர்டர்கள்' பகுதியில் புகைப்படத்துடன் "
            "தெரிவியுங்கள், இலவசமாக மாற்றித் தருவோம்.",
            ["பொருள் உடைந்து வந்தது", "பழுதான பொருள் வந்தது"],
        ),
    },
    "contact-support": {
        "en": (
            "How can I contact customer care?",
            "Call 1800 123 4567 (toll-free, 8 am to 10 pm) or write to help@acme.example.",
            ["customer care number", "phone number", "support email address"],
        ),
        "hi": (
            "ग्राहक सेवा से कैसे संपर्क करें?",
            "1800 123 4567 (टोल-फ़्री, सुबह 8 से रात 10) पर कॉल करें या help@acme.example पर लिखें।",
            ["कस्टमर केयर नंबर", "फ़ोन नंबर क्या है"],
        ),
        "ta": (
            "வாடிக்கையாளர் சேவையை எப்படி தொடர்பு கொள்வது?",
            "1800 123 4567 (கட்டணமில்லா, காலை 8 முதல் இரவு 10) அழையுங்கள் அல்லது "
            "help@acme.example-க்கு எழுதுங்கள்.",
            ["கஸ்டமர் கேர் எண்", "தொலைபேசி எண் என்ன"],
        ),
    },
    "coupon": {
        "en": (
            "How do I use a coupon code?",
            "Enter the code in the Coupon box at checkout; one coupon per order.",
            ["apply discount code", "promo code not working", "where to enter coupon"],
        ),
        "hi": (
            "कूपन कोड कैसे लगाएँ?",
            "चेकआउट पर कूपन बॉक्स में कोड डालें; एक ऑर्डर पर एक कूपन।",
            ["डिस्काउंट कोड लगाना है", "प्रोमो कोड काम नहीं कर रहा"],
        ),
        "ta": (
            "கூப்பன் குறியீட்டை எப்படி பயன்படுத்துவது?",
            "செக்அவுட்டில் கூப்பன் பெட்டியில் குறியீட்டை உள்ளிடுங்கள்; ஒரு ஆர்டருக்கு ஒரு கூப்பன்.",
            ["தள்ளுபடி குறியீடு", "ப்ரோமோ கோட் வேலை செய்யவில்லை"],
        ),
    },
    "user-manual": {
        "en": (
            "Where can I find the user manual?",
            "Every manual is on the product page under Downloads, as a PDF.",
            ["download the manual", "instructions for my microwave", "product guide pdf"],
        ),
        "hi": (
            "यूज़र मैनुअल कहाँ मिलेगा?",
            "हर मैनुअल उत्पाद पेज पर 'डाउनलोड' में पीडीएफ के रूप में है।",
            ["मैनुअल डाउनलोड करना है", "माइक्रोवेव के निर्देश"],
        ),
        "ta": (
            "பயனர் கையேடு எங்கே கிடைக்கும்?",
            "ஒவ்வொரு கையேடும் பொருள் பக்கத்தில் 'பதிவிறக்கங்கள்' பகுதியில் PDF ஆக உள்ளது.",
            ["கையேடு பதிவிறக்க வேண்டும்", "மைக்ரோவேவ் வழிமுறைகள்"],
        ),
    },
    "energy-rating": {
        "en": (
            "What does the star energy rating mean?",
            "More stars means lower electricity use: a 5-star AC uses about 25% less power "
            "than a 3-star one.",
            ["power consumption", "how much electricity does it use", "5 star vs 3 star"],
        ),
        "hi": (
            "स्टार एनर्जी रेटिंग का क्या मतलब है?",
            "ज़्यादा स्टार यानी कम बिजली: 5-स्टार एसी 3-स्टार से लगभग 25% कम बिजली लेता है।",
            ["बिजली की खपत कितनी है", "5 स्टार और 3 स्टार में फर्क"],
        ),
        "ta": (
            "ஸ்டார் எனர்ஜி ரேட்டிங் என்றால் என்ன?",
            "அதிக நட்சத்திரம் என்றால் குறைந்த மின்சாரம்: 5-ஸ்டார் ஏசி 3-ஸ்டாரை விட சுமார் 25% "
            "குறைவாக மின்சாரம் பயன்படுத்தும்.",
            ["மின் நுகர்வு எவ்வளவு", "5 ஸ்டார் 3 ஸ்டார் வித்தியாசம்"],
        ),
    },
}
