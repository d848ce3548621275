"""Curated vocabulary for `app.demo_data`: species, visit cases, lab panels and prices.

Kept apart from the generator so the clinical wording can be reviewed (and
extended) without reading the seeding mechanics. Text uses `{name}` for the
pet's name; everything else is filled in by the generator.
"""

from dataclasses import dataclass
from decimal import Decimal

# (state, IANA zone, area codes): clinic hours are local, stored timestamps UTC.
# Phones use the fictional 555 exchange, so they look local but reach no one.
CLINIC_LOCATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("IL", "America/Chicago", ("217", "309", "312", "630", "847")),
    ("TX", "America/Chicago", ("214", "512", "713", "817")),
    ("MN", "America/Chicago", ("612", "651", "763", "952")),
    ("OH", "America/New_York", ("216", "330", "513", "614")),
    ("NC", "America/New_York", ("336", "704", "828", "919")),
    ("PA", "America/New_York", ("215", "412", "610", "717")),
    ("CO", "America/Denver", ("303", "719", "720", "970")),
    ("OR", "America/Los_Angeles", ("503", "541", "971")),
    ("WA", "America/Los_Angeles", ("206", "253", "360", "425", "509")),
)

CLINIC_NAME_PATTERNS: tuple[str, ...] = (
    "{city} Animal Hospital",
    "{city} Veterinary Clinic",
    "{last} Veterinary Hospital",
    "{last} & {last2} Veterinary Associates",
    "{grove} Animal Clinic",
    "{grove} Pet Hospital",
    "Companion Care Veterinary of {city}",
)
GROVES: tuple[str, ...] = (
    "Oak Ridge", "Maple Grove", "Cedar Creek", "Willow Bend", "Riverside", "Pine Hollow",
    "Briarwood", "Stonebridge", "Meadowbrook", "Fox Run",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net", "mail.test")

PET_NAMES: tuple[str, ...] = (
    "Bella", "Max", "Luna", "Charlie", "Lucy", "Cooper", "Daisy", "Milo", "Bailey", "Buddy",
    "Sadie", "Rocky", "Molly", "Bear", "Stella", "Tucker", "Lola", "Duke", "Zoe", "Jack",
    "Penny", "Oliver", "Chloe", "Teddy", "Nala", "Leo", "Rosie", "Winston", "Ruby", "Murphy",
    "Coco", "Louie", "Gracie", "Bentley", "Sophie", "Toby", "Lily", "Zeus", "Pepper", "Oscar",
    "Willow", "Finn", "Maggie", "Gus", "Piper", "Riley", "Ginger", "Simba", "Cleo", "Jasper",
    "Mia", "Loki", "Hazel", "Ollie", "Kiki", "Tiger", "Smokey", "Shadow", "Misty", "Oreo",
    "Mango", "Kiwi", "Peanut", "Biscuit", "Nugget", "Pumpkin", "Waffles", "Pickles", "Noodle",
    "Ziggy", "Rex", "Spike", "Apollo", "Athena", "Iggy", "Sunny", "Sky", "Blue", "Pip",
    "Thumper", "Clover", "Hopper", "Cinnamon", "Marshmallow", "Bandit", "Rascal", "Dobby",
    "Mochi", "Sushi", "Tofu", "Bruno", "Sasha", "Harley", "Koda", "Maple", "Olive", "Archie",
)  # fmt: skip


@dataclass(frozen=True)
class Breed:
    name: str
    kg: tuple[float, float]
    share: float = 1.0


@dataclass(frozen=True)
class Species:
    name: str
    share: float
    breeds: tuple[Breed, ...]
    max_age_years: float
    neuter_rate: float
    temp_c: tuple[float, float] | None  # None: ectotherms, whose temperature is ambient
    heart_rate: tuple[int, int]
    lab_group: str  # which reference ranges apply


SPECIES: tuple[Species, ...] = (
    Species("Dog", 52, (
        Breed("Mixed Breed", (8, 30), 6), Breed("Labrador Retriever", (25, 36), 3),
        Breed("Golden Retriever", (25, 34), 2), Breed("German Shepherd", (22, 40), 2),
        Breed("French Bulldog", (8, 14), 2), Breed("Beagle", (9, 12)),
        Breed("Dachshund", (7, 12)), Breed("Poodle (Miniature)", (5, 8)),
        Breed("Chihuahua", (1.5, 3)), Breed("Boxer", (25, 32)), Breed("Shih Tzu", (4, 7)),
        Breed("Australian Shepherd", (18, 29)), Breed("Pit Bull Terrier", (14, 27)),
        Breed("Yorkshire Terrier", (2, 3.5)), Breed("Bernese Mountain Dog", (36, 50)),
    ), 15, 0.85, (38.0, 39.2), (70, 130), "canine"),
    Species("Cat", 36, (
        Breed("Domestic Shorthair", (3.5, 6.5), 8), Breed("Domestic Longhair", (3.5, 6.5), 2),
        Breed("Maine Coon", (5.5, 9)), Breed("Siamese", (3, 5)), Breed("Ragdoll", (4.5, 8)),
        Breed("Bengal", (3.5, 6.5)), Breed("British Shorthair", (4, 7.5)),
        Breed("Sphynx", (3, 5)),
    ), 18, 0.9, (38.1, 39.2), (140, 220), "feline"),
    Species("Rabbit", 4, (
        Breed("Holland Lop", (1.2, 1.8)), Breed("Netherland Dwarf", (0.8, 1.2)),
        Breed("Mini Rex", (1.4, 2)), Breed("Lionhead", (1.2, 1.7)),
        Breed("Flemish Giant", (6, 9)),
    ), 10, 0.6, (38.5, 40.0), (180, 250), "exotic"),
    Species("Guinea Pig", 2.5, (
        Breed("American", (0.8, 1.2)), Breed("Abyssinian", (0.7, 1.1)),
        Breed("Peruvian", (0.8, 1.2)), Breed("Teddy", (0.8, 1.2)),
    ), 7, 0.1, (37.2, 39.5), (230, 380), "exotic"),
    Species("Ferret", 1.5, (
        Breed("Sable", (0.7, 2)), Breed("Albino", (0.7, 2)), Breed("Champagne", (0.7, 2)),
        Breed("Cinnamon", (0.7, 2)),
    ), 8, 0.9, (37.8, 40.0), (200, 250), "exotic"),
    Species("Bird", 2.5, (
        # Birds under 100 g (budgies, lovebirds) would round to 0.0 kg, so none are listed.
        Breed("Cockatiel", (0.08, 0.12), 3), Breed("African Grey Parrot", (0.4, 0.6)),
        Breed("Sun Conure", (0.1, 0.13)), Breed("Blue-fronted Amazon", (0.35, 0.55)),
        Breed("Umbrella Cockatoo", (0.45, 0.75)), Breed("Blue-and-gold Macaw", (0.9, 1.3)),
    ), 25, 0.0, (40.0, 42.0), (250, 450), "exotic"),
    Species("Reptile", 1.5, (
        Breed("Bearded Dragon", (0.3, 0.55), 3), Breed("Leopard Gecko", (0.06, 0.09), 2),
        Breed("Ball Python", (1, 1.8), 2), Breed("Corn Snake", (0.3, 0.9)),
        Breed("Red-eared Slider", (0.5, 1.5)), Breed("Russian Tortoise", (0.5, 1)),
    ), 20, 0.0, None, (20, 70), "reptile"),
)  # fmt: skip

MAMMALS = frozenset({"Dog", "Cat", "Rabbit", "Guinea Pig", "Ferret"})
DOG_CAT = frozenset({"Dog", "Cat"})
RODENT_LIKE = frozenset({"Rabbit", "Guinea Pig"})


@dataclass(frozen=True)
class Item:
    name: str
    chance: float = 1.0
    most: int = 1  # quantity is drawn from 1..most


@dataclass(frozen=True)
class Case:
    title: str
    species: frozenset[str]
    subjective: tuple[str, ...]
    objective: str
    # (diagnosis, treatment, differential diagnosis or None), consistent with each other.
    outcomes: tuple[tuple[str, str, str | None], ...]
    items: tuple[Item, ...]
    blood: float = 0.0  # chance a blood panel was run
    urine: float = 0.0
    flags: tuple[str, ...] = ()  # analytes out of range, e.g. "BUN+" or "USG-"
    share: float = 1.0
    min_age_years: float = 0.0  # younger pets get the species' first case instead
    # Billed exactly when the record has a blood panel; urine panels bill URINALYSIS.
    blood_item: str = "Bloodwork Panel"


EXAM = Item("Exam Fee")
URINALYSIS = "Urinalysis"

CASES: tuple[Case, ...] = (
    Case(
        "Annual Checkup", MAMMALS,
        ("Here for annual wellness visit. Owner reports {name} is eating and drinking "
         "normally, no vomiting or diarrhea.", "Routine yearly exam; no concerns at home."),
        "Bright, alert, responsive. Heart and lungs auscultate normally, abdomen soft and "
        "non-painful, lymph nodes normal.",
        (("Healthy; no abnormalities detected", "Continue current diet and parasite "
          "prevention. Vaccines updated as due. Recheck in 12 months.", None),
         ("Mild dental tartar (grade 1)", "Home dental care discussed; reassess at next "
          "visit for a professional cleaning.", None)),
        (EXAM, Item("Fecal Exam", 0.5)),
        blood=0.3, urine=0.15, share=5,
    ),
    Case(
        "Annual Wellness Exam", frozenset({"Bird", "Reptile"}),
        ("Annual exam. Owner reports normal appetite and droppings.",
         "Wellness visit; husbandry reviewed with owner."),
        "Alert, good body condition, plumage/skin normal. Oral cavity and vent clean.",
        (("Healthy; husbandry adequate", "Continue current diet; UV bulb replacement "
          "every 6 months discussed.", None),),
        (EXAM, Item("Fecal Exam", 0.6), Item("Husbandry Consult", 0.3)),
        blood=0.1, share=4,
    ),
    Case(
        "Vaccination", frozenset({"Dog"}),
        ("Here for vaccine boosters. No prior vaccine reactions.",),
        "Healthy on exam; vaccines administered SC right hind (rabies) and left fore (DHPP).",
        (("Vaccines current", "Rabies (3-year) and DHPP boosters given. Monitor for lethargy "
          "or facial swelling for 24 hours.", None),),
        (EXAM, Item("Rabies Vaccine"), Item("DHPP Vaccine"),
         Item("Bordetella Vaccine", 0.4), Item("Leptospirosis Vaccine", 0.4)),
        share=4,
    ),
    Case(
        "Vaccination", frozenset({"Cat"}),
        ("Due for FVRCP and rabies.",),
        "Healthy on exam; vaccines given SC distal limbs per AAFP guidelines.",
        (("Vaccines current", "FVRCP and rabies given. Monitor injection sites; report any "
          "swelling persisting beyond 3 weeks.", None),),
        (EXAM, Item("FVRCP Vaccine"), Item("Rabies Vaccine"), Item("FeLV Vaccine", 0.3)),
        share=4,
    ),
    Case(
        "Vaccination", frozenset({"Rabbit"}),
        ("Here for RHDV2 vaccine.",),
        "Healthy on exam, incisors normal length.",
        (("Vaccines current", "RHDV2 vaccine given SC. Booster in 12 months.", None),),
        (EXAM, Item("RHDV2 Vaccine")),
        share=3,
    ),
    Case(
        "Vaccination", frozenset({"Ferret"}),
        ("Due for distemper and rabies boosters.",),
        "Healthy on exam. Pre-treated with diphenhydramine; observed 30 min after vaccines.",
        (("Vaccines current", "Canine distemper and rabies vaccines given. Monitor for "
          "vomiting or collapse.", None),),
        (EXAM, Item("Distemper Vaccine (Ferret)"), Item("Rabies Vaccine")),
        share=3,
    ),
    Case(
        "Heartworm Test", frozenset({"Dog"}),
        ("Yearly heartworm screening; on monthly prevention, one dose missed in summer.",),
        "Healthy on exam. SNAP 4Dx: heartworm antigen negative, tick-borne panel negative.",
        (("Heartworm and tick-borne disease negative", "Continue monthly heartworm and flea/"
          "tick prevention year-round.", None),),
        (Item("Heartworm Test"), Item("Heartworm Prevention (6 doses)", 0.6)),
        share=1.5,
    ),
    Case(
        "Dental Cleaning", DOG_CAT,
        ("Scheduled dental procedure. Fasted since last night.",
         "Owner notes bad breath and dropping food."),
        "Moderate calculus on premolars and molars, gingivitis, probing depths up to 4 mm.",
        (("Periodontal disease, grade 2", "Ultrasonic scaling and polishing under general "
          "anesthesia. Dental radiographs. Soft food 3 days.", None),
         ("Periodontal disease, grade 3 with tooth root exposure", "Scaling and polishing "
          "under general anesthesia; extractions as noted. Meloxicam 5 days, soft food 10 "
          "days, recheck in 2 weeks.", "Tooth resorption, stomatitis")),
        (Item("Dental Cleaning"), Item("Anesthesia & Monitoring"),
         Item("Tooth Extraction", 0.5, 4), Item("Meloxicam Oral Suspension", 0.5)),
        blood=0.7, share=2, blood_item="Pre-anesthetic Bloodwork",
    ),
    Case(
        "Limping - Left Hind", frozenset({"Dog"}),
        ("Non-weight-bearing lameness left hind since a run at the park 2 days ago.",
         "Intermittent left hind lameness for 3 weeks, worse after rest."),
        "Grade 3/5 lameness LH, positive cranial drawer and tibial thrust, mild stifle "
        "effusion.",
        (("Partial cranial cruciate ligament tear, left stifle", "Carprofen 4.4 mg/kg PO "
          "q24h x 14 days; strict leash rest 6 weeks; TPLO referral discussed.",
          "Medial patellar luxation, soft tissue strain, early osteoarthritis"),
         ("Soft tissue strain, left hind", "Carprofen 4.4 mg/kg PO q24h x 7 days; leash "
          "walks only 2 weeks; recheck if not improving.", "Cranial cruciate ligament "
          "injury")),
        (EXAM, Item("Radiographs (2 views)", 0.7), Item("Carprofen 75 mg (30 tablets)")),
        share=1.5,
    ),
    Case(
        "Limping - Right Fore", DOG_CAT,
        ("Favoring the right front leg since yesterday; owner unsure of any trauma.",),
        "Grade 2/5 lameness RF, pain on carpal flexion, no crepitus, nails intact.",
        (("Soft tissue injury, right carpus", "Rest 10 days; NSAID as dispensed. Recheck "
          "if not resolved.", "Fracture, elbow dysplasia, interdigital foreign body"),),
        (EXAM, Item("Radiographs (2 views)", 0.4), Item("Meloxicam Oral Suspension")),
    ),
    Case(
        "Vomiting", frozenset({"Dog", "Cat", "Ferret"}),
        ("Vomited 4 times since yesterday, still drinking; got into the garbage.",
         "Vomiting on and off for 2 days, decreased appetite."),
        "Mildly dehydrated (5%), abdomen tense on palpation, no palpable foreign body.",
        (("Acute gastritis (dietary indiscretion)", "Maropitant 1 mg/kg SC; SC fluids; "
          "bland diet 3 days then gradual transition.", "Foreign body, pancreatitis, "
          "inflammatory bowel disease"),
         ("Gastroenteritis", "Maropitant injection and SC fluids; small frequent bland "
          "meals; recheck in 48 hours if vomiting persists.", "Pancreatitis, toxin ingestion")),
        (EXAM, Item("Cerenia Injection"), Item("Subcutaneous Fluids", 0.6, 2),
         Item("Radiographs (2 views)", 0.3)),
        blood=0.4, urine=0.2, share=2,
    ),
    Case(
        "Diarrhea", DOG_CAT,
        ("Soft stool for 3 days, some mucus, normal energy.",),
        "Quiet but alert, mild discomfort on caudal abdominal palpation, soft feces on "
        "rectal exam.",
        (("Acute colitis", "Metronidazole 10 mg/kg PO q12h x 7 days; probiotic; "
          "bland diet.", "Giardiasis, dietary change, parasites"),),
        (EXAM, Item("Fecal Exam", 0.8), Item("Metronidazole 250 mg (14 tablets)")),
        blood=0.15, share=1.5,
    ),
    Case(
        "Ear Infection", frozenset({"Dog"}),
        ("Shaking head and scratching at the left ear for a week.",),
        "Left ear canal erythematous with brown waxy discharge; tympanum intact. Cytology: "
        "many yeast, few cocci.",
        (("Otitis externa (Malassezia), left ear", "Ear cleaning; Otomax 4 drops AU q12h "
          "x 7 days; recheck cytology in 2 weeks.", "Ear mites, foreign body, atopy"),),
        (EXAM, Item("Ear Cytology"), Item("Otomax Ointment 15 g")),
        share=2,
    ),
    Case(
        "Itchy Skin", DOG_CAT,
        ("Licking paws and scratching flanks for a month, worse in spring.",),
        "Erythema of ventral abdomen and interdigital spaces, no fleas seen, mild "
        "alopecia.",
        (("Atopic dermatitis", "Apoquel 0.4 mg/kg PO q12h x 14 days then q24h; "
          "omega-3 supplement.", "Flea allergy, food allergy, sarcoptic mange"),
         ("Flea allergy dermatitis", "Flea prevention for all pets in the household; "
          "Cytopoint injection.", "Atopic dermatitis")),
        (EXAM, Item("Skin Cytology", 0.5), Item("Apoquel 16 mg (30 tablets)", 0.6),
         Item("Cytopoint Injection", 0.4)),
        share=1.5,
    ),
    Case(
        "Straining to Urinate", frozenset({"Cat"}),
        ("Frequent trips to the litter box, small amounts, some blood in the urine.",),
        "Small, painful bladder on palpation; not obstructed.",
        (("Feline idiopathic cystitis", "Buprenorphine 0.02 mg/kg OTM q12h x 3 days; "
          "prescription urinary diet; increase water intake.", "Urolithiasis, bacterial "
          "cystitis, urethral plug"),),
        (EXAM, Item("Prescription Urinary Diet (8.5 lb)", 0.6)),
        urine=0.9, flags=("BLD+", "PRO+"),
    ),
    Case(
        "Increased Thirst", DOG_CAT,
        ("Drinking and urinating more over the last month; mild weight loss.",),
        "Thin (BCS 4/9), mild dehydration, otherwise unremarkable.",
        (("Chronic kidney disease, IRIS stage 2", "Renal diet; SC fluids at home discussed; "
          "recheck bloodwork in 3 months.", "Diabetes mellitus, hyperthyroidism"),),
        (EXAM,),
        blood=0.95, urine=0.8, flags=("BUN+", "CREA+", "USG-"), min_age_years=6,
    ),
    Case(
        "Weight Loss", frozenset({"Cat"}),
        ("Losing weight despite a ravenous appetite; more vocal at night.",),
        "Palpable thyroid nodule, tachycardia, unkempt coat.",
        (("Hyperthyroidism", "Methimazole 2.5 mg PO q12h; recheck T4 in 3 weeks.",
          "Diabetes mellitus, intestinal lymphoma"),),
        (EXAM, Item("Methimazole 5 mg (60 tablets)")),
        blood=0.95, flags=("T4+", "ALT+"), min_age_years=8,
    ),
    Case(
        "Coughing", frozenset({"Dog"}),
        ("Honking cough for 5 days after boarding; still eating well.",),
        "Cough elicited on tracheal palpation, lungs clear, afebrile.",
        (("Infectious tracheobronchitis (kennel cough)", "Doxycycline 5 mg/kg PO q12h x 10 "
          "days; avoid neck collars; recheck if lethargic.", "Tracheal collapse, pneumonia, "
          "heart disease"),),
        (EXAM, Item("Doxycycline 100 mg (14 tablets)"), Item("Radiographs (2 views)", 0.2)),
    ),
    Case(
        "Eye Discharge", frozenset({"Cat"}),
        ("Squinting and discharge from the right eye for 2 days, sneezing.",),
        "Conjunctival hyperemia OD, serous discharge, fluorescein stain negative.",
        (("Conjunctivitis (suspected feline herpesvirus-1)", "Terramycin ophthalmic "
          "ointment OD q8h x 7 days.", "Corneal ulcer, foreign body"),),
        (EXAM, Item("Fluorescein Eye Stain"), Item("Terramycin Eye Ointment")),
    ),
    Case(
        "Laceration Repair", frozenset({"Dog"}),
        ("Cut on the leg on a fence this morning, bleeding controlled with a towel.",),
        "3 cm full-thickness laceration, left antebrachium; no tendon involvement.",
        (("Laceration, left forelimb", "Sedation, clipping, lavage, primary closure with "
          "3-0 nylon. Cephalexin 22 mg/kg PO q12h x 7 days; e-collar; suture removal "
          "in 10-14 days.", None),),
        (EXAM, Item("Sedation"), Item("Laceration Repair"), Item("Cephalexin 500 mg (14 "
         "capsules)")),
        share=0.6,
    ),
    Case(
        "Senior Wellness", DOG_CAT,
        ("Senior screening; owner notes slowing down on walks.",),
        "Mild muscle wasting over hips, grade 2 dental tartar, heart and lungs normal.",
        (("Healthy senior; early osteoarthritis", "Joint supplement; controlled exercise; "
          "senior bloodwork every 6 months.", None),),
        (EXAM,),
        blood=0.9, urine=0.6, flags=("ALP+",), min_age_years=7,
    ),
    Case(
        "Nail Trim", frozenset({"Dog", "Cat", "Rabbit", "Guinea Pig", "Ferret", "Bird"}),
        ("Nail trim only.",),
        "Nails overgrown; trimmed without incident.",
        (("Routine grooming", "Nails trimmed. Next trim in 6-8 weeks.", None),),
        (Item("Nail Trim"),),
        share=2,
    ),
    Case(
        "Beak and Nail Trim", frozenset({"Bird"}),
        ("Beak looks long; owner also requests a nail trim.",),
        "Mild rhinotheca overgrowth, nails long.",
        (("Beak overgrowth", "Beak and nails trimmed with a rotary tool; diet reviewed "
          "(pellets over seed).", "Liver disease, nutritional deficiency"),),
        (Item("Beak Trim"), Item("Nail Trim")),
        share=2,
    ),
    Case(
        "Feather Plucking", frozenset({"Bird"}),
        ("Pulling chest feathers for 6 weeks since the household moved.",),
        "Barbering of chest and inner wing feathers, new feather growth normal.",
        (("Behavioral feather-destructive disorder", "Enrichment plan, foraging toys, 12 "
          "hours of darkness; recheck in 1 month.", "Giardiasis, psittacine beak and "
          "feather disease, dermatitis"),),
        (EXAM, Item("Husbandry Consult")),
        blood=0.4,
    ),
    Case(
        "Dental Overgrowth", RODENT_LIKE,
        ("Dropping food and drooling, eating less hay.",),
        "Molar spurs lacerating the tongue on oral exam, wet chin.",
        (("Molar malocclusion with spurs", "Molar trim under sedation; meloxicam 0.5 mg/kg "
          "PO q24h x 5 days; increase hay intake.", "Tooth root abscess"),),
        (EXAM, Item("Molar Trim (Sedated)"), Item("Meloxicam Oral Suspension")),
        share=2,
    ),
    Case(
        "Not Eating", RODENT_LIKE,
        ("Not eating since yesterday morning, no droppings overnight.",),
        "Quiet, hunched posture, reduced gut sounds, gas-distended cecum.",
        (("Gastrointestinal stasis", "Critical Care syringe feeding q6h, SC fluids, "
          "meloxicam and metoclopramide; hospitalize if no droppings in 12 h.",
          "Dental disease, intestinal obstruction"),),
        (EXAM, Item("Subcutaneous Fluids"), Item("Critical Care Formula"),
         Item("Hospitalization (per day)", 0.3, 2)),
        blood=0.2, share=2,
    ),
    Case(
        "Sneezing", RODENT_LIKE,
        ("Sneezing and nasal discharge for 4 days.",),
        "Mucopurulent nasal discharge, mild increased respiratory effort.",
        (("Upper respiratory infection (suspected Bordetella/Pasteurella)", "Enrofloxacin "
          "10 mg/kg PO q24h x 10 days; vitamin C for guinea pigs.", "Dental disease, "
          "pneumonia"),),
        (EXAM, Item("Enrofloxacin Oral Suspension")),
    ),
    Case(
        "Hair Loss", frozenset({"Ferret"}),
        ("Symmetrical hair loss on the tail and flanks over 2 months.",),
        "Bilateral alopecia of tail base and flanks, vulvar swelling.",
        (("Hyperadrenocorticism (adrenal disease)", "Deslorelin implant SC; recheck in 3 "
          "months.", "Hyperestrogenism, seasonal alopecia"),),
        (EXAM, Item("Deslorelin Implant")),
        blood=0.5, flags=("ALT+",), share=2,
    ),
    Case(
        "Weakness", frozenset({"Ferret"}),
        ("Episodes of staring into space and pawing at the mouth.",),
        "Lethargic, hypersalivating; responded to oral honey.",
        (("Hypoglycemia, suspected insulinoma", "Prednisolone 0.5 mg/kg PO q12h; "
          "frequent high-protein meals.", "Sepsis, liver disease"),),
        (EXAM, Item("Prednisolone 5 mg (30 tablets)")),
        blood=0.9, flags=("GLU-",),
    ),
    Case(
        "Shedding Problems", frozenset({"Reptile"}),
        ("Retained shed on toes and tail tip for 2 weeks.",),
        "Retained ecdysis on digits and tail, mild constriction, hydration adequate.",
        (("Dysecdysis secondary to low humidity", "Warm soaks and gentle removal; raise "
          "enclosure humidity; humid hide.", "Dermatitis, mites"),),
        (EXAM, Item("Husbandry Consult", 0.5)),
        share=2,
    ),
    Case(
        "Weakness and Tremors", frozenset({"Reptile"}),
        ("Weak, not climbing; UVB bulb is over a year old.",),
        "Soft mandible, mild limb tremors, poor grip strength.",
        (("Metabolic bone disease", "Calcium gluconate; replace UVB bulb; calcium and D3 "
          "supplementation; recheck in 4 weeks.", "Renal disease, hypovitaminosis A"),),
        (EXAM, Item("Calcium Supplement"), Item("Radiographs (2 views)", 0.5)),
        blood=0.5, flags=("CA-",),
    ),
)  # fmt: skip

# Pet-only invoices: refills and products sold without a visit, per species.
PET_ONLY_ITEMS: dict[str, tuple[str, ...]] = {
    "Dog": ("Heartworm Prevention (6 doses)", "Flea & Tick Prevention (6 doses)",
            "Carprofen 75 mg (30 tablets)", "Apoquel 16 mg (30 tablets)"),
    "Cat": ("Flea Prevention (6 doses)", "Prescription Urinary Diet (8.5 lb)",
            "Methimazole 5 mg (60 tablets)"),
    "Rabbit": ("Critical Care Formula", "Nail Trim"),
    "Guinea Pig": ("Vitamin C Supplement", "Critical Care Formula", "Nail Trim"),
    "Ferret": ("Prednisolone 5 mg (30 tablets)", "Nail Trim"),
    "Bird": ("Nail Trim", "Beak Trim"),
    "Reptile": ("Calcium Supplement", "Husbandry Consult"),
}  # fmt: skip

PRICES: dict[str, Decimal] = {name: Decimal(price) for name, price in (
    ("Exam Fee", "65.00"), ("Rabies Vaccine", "45.00"), ("DHPP Vaccine", "42.00"),
    ("Bordetella Vaccine", "38.00"), ("Leptospirosis Vaccine", "36.00"),
    ("FVRCP Vaccine", "40.00"), ("FeLV Vaccine", "44.00"), ("RHDV2 Vaccine", "55.00"),
    ("Distemper Vaccine (Ferret)", "40.00"), ("Dental Cleaning", "350.00"),
    ("Anesthesia & Monitoring", "185.00"), ("Tooth Extraction", "85.00"),
    ("Pre-anesthetic Bloodwork", "95.00"), ("Bloodwork Panel", "120.00"),
    ("Urinalysis", "55.00"), ("Fecal Exam", "38.00"), ("Heartworm Test", "48.00"),
    ("Radiographs (2 views)", "210.00"), ("Ear Cytology", "42.00"), ("Skin Cytology", "42.00"),
    ("Fluorescein Eye Stain", "30.00"), ("Cerenia Injection", "38.50"),
    ("Subcutaneous Fluids", "45.00"), ("Carprofen 75 mg (30 tablets)", "54.99"),
    ("Meloxicam Oral Suspension", "26.00"), ("Apoquel 16 mg (30 tablets)", "89.99"),
    ("Cytopoint Injection", "95.00"), ("Otomax Ointment 15 g", "32.50"),
    ("Metronidazole 250 mg (14 tablets)", "24.00"), ("Doxycycline 100 mg (14 tablets)", "28.00"),
    ("Cephalexin 500 mg (14 capsules)", "31.00"), ("Methimazole 5 mg (60 tablets)", "36.00"),
    ("Prescription Urinary Diet (8.5 lb)", "58.99"), ("Terramycin Eye Ointment", "24.00"),
    ("Sedation", "85.00"), ("Laceration Repair", "225.00"), ("Nail Trim", "20.00"),
    ("Beak Trim", "30.00"), ("Molar Trim (Sedated)", "165.00"),
    ("Critical Care Formula", "24.50"), ("Hospitalization (per day)", "95.00"),
    ("Enrofloxacin Oral Suspension", "29.00"), ("Deslorelin Implant", "295.00"),
    ("Prednisolone 5 mg (30 tablets)", "18.00"), ("Husbandry Consult", "55.00"),
    ("Calcium Supplement", "15.00"), ("Vitamin C Supplement", "12.00"),
    ("Heartworm Prevention (6 doses)", "68.00"), ("Flea & Tick Prevention (6 doses)", "119.00"),
    ("Flea Prevention (6 doses)", "96.00"),
)}  # fmt: skip

# Reference ranges per lab group: analyte -> (low, high, unit, decimals).
LabRanges = dict[str, tuple[float, float, str, int]]
_CBC_CHEM: LabRanges = {
    "WBC": (5.5, 16.9, "10^3/uL", 1), "RBC": (5.5, 8.5, "10^6/uL", 2),
    "HCT": (37, 55, "%", 1), "PLT": (175, 500, "10^3/uL", 0),
    "GLU": (74, 143, "mg/dL", 0), "BUN": (7, 27, "mg/dL", 0),
    "CREA": (0.5, 1.8, "mg/dL", 1), "ALT": (10, 125, "U/L", 0),
    "ALP": (23, 212, "U/L", 0), "TP": (5.2, 8.2, "g/dL", 1),
}  # fmt: skip
BLOOD_RANGES: dict[str, LabRanges] = {
    "canine": _CBC_CHEM,
    "feline": _CBC_CHEM | {
        "WBC": (5.5, 19.5, "10^3/uL", 1), "RBC": (6.5, 12.2, "10^6/uL", 2),
        "HCT": (30, 45, "%", 1), "PLT": (150, 600, "10^3/uL", 0),
        "GLU": (71, 159, "mg/dL", 0), "BUN": (16, 36, "mg/dL", 0),
        "CREA": (0.8, 2.4, "mg/dL", 1), "ALP": (14, 111, "U/L", 0),
        "T4": (0.8, 4.7, "ug/dL", 1),
    },
    "exotic": {
        "WBC": (4, 12, "10^3/uL", 1), "HCT": (30, 50, "%", 1), "GLU": (75, 155, "mg/dL", 0),
        "BUN": (13, 30, "mg/dL", 0), "CREA": (0.5, 2.5, "mg/dL", 1), "ALT": (25, 80, "U/L", 0),
        "TP": (5, 7.5, "g/dL", 1),
    },
    "reptile": {
        "PCV": (20, 40, "%", 0), "GLU": (60, 200, "mg/dL", 0), "CA": (8, 14, "mg/dL", 1),
        "PHOS": (3, 7, "mg/dL", 1), "UA": (0.5, 5, "mg/dL", 1), "TP": (3, 7, "g/dL", 1),
    },
}  # fmt: skip
URINE_RANGES: LabRanges = {"USG": (1.015, 1.045, "", 3), "pH": (5.5, 7.5, "", 1)}
URINE_DIPSTICK: tuple[str, ...] = ("PRO", "GLU", "BLD", "KET")
