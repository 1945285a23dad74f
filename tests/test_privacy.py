"""Privacy by default: people's names, e-mails and phone numbers never reach an output.

Unit tests pin :mod:`kg.privacy` on wordings taken from real forms; build
tests write small forms, build them and search every output file (graph
files, analysis, HTML, report, manifest messages) and the query store for
the original values. The real-corpus test builds forms of each kind
(experiments, innovation-challenge entries, solution mapping) and searches
for the values read by hand from those files.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from kg.build import build
from kg.forms import parse_form
from kg.privacy import PSEUDONYM_PREFIX, Pseudonymiser, is_personal_question
from kg.query import run_query

ROOT = Path(__file__).resolve().parents[1]
PSEUDONYM = re.compile(PSEUDONYM_PREFIX + r"[0-9a-f]{12}")

# ---------------------------------------------------------------------------
# Which questions are personal (wordings copied from corpus forms)
# ---------------------------------------------------------------------------

PERSONAL_QUESTIONS = [
    "Prepared by (Name of the experimenter)",
    "[Prepared by on date]",
    "Name of the Innovator",
    "Lead Innovator's Name",
    "Lead Innovator's Mobile Number",
    "Lead Innovator's E-mail Address",
    "Innovator",
    "Who led the solution",
    "Who lead the solution",
    "What is the name of the solution holder? (main contact person, if multiple)",
    "What is the address and preferred way to contact the solution holder?",
    "Add some information about the solution holder",
    "Solution owner / Contact if available ",
    "Please specify the owners of the identified local solution:",
    "Reported by (Full Name)",
    "E-mail",
    "Email",
    "Email Address",
    "CORREO ELECTRÓNICO",
    "Mobile Number",
    "Contact person",
    "Contact",
    "Last Name",
    "Reviewer's name",
    "Nombre de la persona creadora de la solución",
    "Nombre del creador(es)",
    "Contacto de la persona / organización creadora de la solución",
    "Contacto de la solución",
]

NOT_PERSONAL_QUESTIONS = [
    "Title of the innovation",
    "Age",
    "Name",  # solution names ("Agrona materials") in the corpus
    "Nombre de la solución",
    "Please state the name of the partner:",
    "Please list the names of partners mentioned in the previous question:",
    "Does the solution holder have any institutional affiliation in country?",
    "Will the solution holder be able to train others (including end-users) in using or replicating the solution?",
    "Is replicating this solution a task suited to a single person or does it require a group or team effort?",
    "Who are your top 5 partners for this challenge? Please submit from MOST to LEAST important and state Name, "
    "Sector and a brief description of the (intended) collaboration.",
]


@pytest.mark.parametrize("question", PERSONAL_QUESTIONS)
def test_personal_questions_are_recognised(question):
    assert is_personal_question(question)


@pytest.mark.parametrize("question", NOT_PERSONAL_QUESTIONS)
def test_other_questions_are_not_personal(question):
    assert not is_personal_question(question)


# ---------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------


def test_pseudonyms_are_stable_keyed_and_fold_case_and_spacing():
    privacy = Pseudonymiser("k1")
    first = privacy.person("Jane  Doe")
    assert PSEUDONYM.fullmatch(first)
    assert privacy.person("jane doe") == first
    assert Pseudonymiser("k1").person("Jane Doe") == first
    assert Pseudonymiser("k2").person("Jane Doe") != first
    assert Pseudonymiser("k1", enabled=False).person("Jane Doe") == "Jane Doe"


def test_key_comes_from_the_environment_when_not_given(monkeypatch):
    monkeypatch.setenv("KG_PSEUDONYM_KEY", "from-env")
    assert Pseudonymiser().person("Jane Doe") == Pseudonymiser("from-env").person("Jane Doe")


def test_personal_answers_are_replaced_whole_but_categories_and_placeholders_kept():
    privacy = Pseudonymiser("k")
    question = "Prepared by (Name of the experimenter)"
    assert privacy.answer(question, "Shamar Ward") == privacy.person("Shamar Ward")
    for category in ("private sector", "Local Government", "Community Led", "Private Sector Led", "N/A", "anonymous"):
        assert privacy.answer("Who led the solution", category) == category
    assert privacy.answer("Name of the Innovator", "Caleb Kabamba") == privacy.person("Caleb Kabamba")


def test_emails_and_phone_numbers_are_replaced_anywhere():
    privacy = Pseudonymiser("k")
    text = "Write to jane.doe@example.org or call +507 6982-6759; Tel: 0991 234 567. WhatsApp 0977123456"
    out = privacy.text(text)
    for value in ("jane.doe@example.org", "6982-6759", "0991 234 567", "0977123456"):
        assert value not in out
    assert out.startswith("Write to person-")
    assert "Tel: person-" in out and "WhatsApp person-" in out


def test_numbers_that_are_not_phones_are_kept():
    privacy = Pseudonymiser("k")
    text = "In 2021 we spent USD 20,000 (+20%) on 1,500 filters; see table 3.2 and ISBN 978-3-16."
    assert privacy.text(text) == text


def test_contact_answers_give_their_name_and_phone_as_known_values():
    form = parse_form(
        "# T\n\n> Contacto de la solución\n\nBlas Quintero / +507 6982-6759 / \n\n"
        "> What is the address and preferred way to contact the solution holder?\n\n"
        "CONTACTO PRINCIPAL: Eliecer José Gonzalez Gonzalez\n\nhttps://www.linkedin.com/in/jane-doe-0819a3186/\n"
    )
    known = Pseudonymiser("k").personal_values(form.items)
    assert "Blas Quintero" in known
    assert "+507 6982-6759" in known
    assert "Eliecer José Gonzalez Gonzalez" in known
    assert "https://www.linkedin.com/in/jane-doe-0819a3186/" in known


def test_known_names_are_replaced_where_they_recur_whatever_the_separators():
    privacy = Pseudonymiser("k")
    known = ("Caleb Kabamba",)
    pseudonym = privacy.person("Caleb Kabamba")
    assert privacy.text("Caleb Kabamba,", known) == f"{pseudonym},"
    assert privacy.text("caleb_kabamba_.md", known) == f"{pseudonym}_.md"
    assert privacy.text("CALEB-KABAMBA designs baskets", known) == f"{pseudonym} designs baskets"
    assert privacy.text("Calebs Kabambas", known) == "Calebs Kabambas"  # whole words only


def test_single_words_and_organisation_like_answers_are_not_hunted_elsewhere():
    form = parse_form(
        "# Agriculture\n\n> Name of the Innovator\n\nAgriculture\n\n"
        "> Reported by (Full Name)\n\nCo-founder of the project\n\n> Description\n\nAgriculture for all.\n"
    )
    privacy = Pseudonymiser("k")
    assert privacy.personal_values(form.items) == ()
    assert privacy.answer("Name of the Innovator", "Agriculture") == privacy.person("Agriculture")


def test_build_messages_lose_personal_values_and_quoted_people():
    privacy = Pseudonymiser("k")
    text = "'Prof Vesna Rafajlovska' is a person, not an organisation; not kept"
    expected = privacy.person("Prof Vesna Rafajlovska") + " is a person, not an organisation; not kept"
    assert privacy.message("person-as-partner", text) == expected
    assert privacy.message("bad-tag", "tag without a valid key: '[[focal point:jane@example.org]]'") == (
        f"tag without a valid key: '[[focal point:{privacy.person('jane@example.org')}]]'"
    )
    assert privacy.message("unknown-country", "unknown country 'Atlantis'") == "unknown country 'Atlantis'"


def form_doc(path: str, text: str) -> SimpleNamespace:
    """What :meth:`Pseudonymiser.protect` reads of an extraction: path, title and items."""
    form = parse_form(text, path)
    return SimpleNamespace(path=path, title=form.title, items=form.items)


def test_people_are_hunted_in_other_forms_but_organisations_in_name_fields_are_not():
    docs = [
        form_doc("a.md", "# A\n\n> Prepared by (Name of the experimenter)\n\nAmara Okonkwo-Diallo\n"),
        form_doc("b.md", "# B\n\n> Name of the Innovator\n\nPractical Action\n"),
        form_doc(
            "c.md",
            "# C\n\n> Key insights\n\nAmara Okonkwo-Diallo and Practical Action took action; "
            "the action plan needs action.\n",
        ),
    ]
    privacy = Pseudonymiser("k")
    protection = privacy.protect(docs)
    assert protection.names == ("Amara Okonkwo-Diallo",)  # "action" is a common word in the other text
    assert protection.known["b.md"] == ("Practical Action",)  # still replaced in its own form
    insight = docs[2].items[0].text
    assert privacy.text(insight, protection.names).startswith(privacy.person("Amara Okonkwo-Diallo") + " and Practical")


def test_disabled_pseudonymiser_changes_nothing():
    privacy = Pseudonymiser("k", enabled=False)
    assert privacy.text("jane@example.org +507 6982-6759", ("Jane Doe",)) == "jane@example.org +507 6982-6759"
    assert privacy.answer("Name of the Innovator", "Jane Doe") == "Jane Doe"


# ---------------------------------------------------------------------------
# Whole builds of synthetic forms
# ---------------------------------------------------------------------------

EXPERIMENT = """\
# Testing {who} nudges

[[focal_point:experimenter.one@example.org]]

[[year:2023]]

[[type:experiment]]

[[country:Kenya]]
## Overview
**This section is to explain the basics of the activity**

> Prepared by (Name of the experimenter)

Wanjiru Kamau-Otieno

> What is your hypothesis? IF... THEN....

If Wanjiru Kamau-Otieno's team sends reminders (call +254 712 345 678), then uptake rises.

> Please list the names of partners mentioned in the previous question:

- Kenya Red Cross Society
"""

INNOVATION = """\
# Zuberi Mwakalinga solar dryer

[[focal_point:lab.zambia@example.org]]

[[year:2025]]

[[type:solution]]

[[country:Zambia]]
> Title of the innovation

Zuberi Mwakalinga solar dryer

> Brief description of the innovation

A dryer built by Zuberi Mwakalinga from scrap; write to zuberi.m@example.com.

> Name of the Innovator

Zuberi Mwakalinga

> Age

- 19-35
"""

MAPPING = """\
# Biogas for schools

[[focal_point:mapper@example.org]]

[[year:2021]]

[[type:solution]]

[[country:Peru]]
> What is the purpose of the solution? (brief problem & solution description)

Biogas digesters built with Dr. Itzel Quispe Huamán for rural schools.

> What is the name of the solution holder? (main contact person, if multiple)

Dr. Itzel Quispe Huamán

> What is the address and preferred way to contact the solution holder?

Itzel Quispe Huamán / +51 984 123 456 / itzel.qh@example.pe / https://www.linkedin.com/in/itzel-quispe-0123abcd/

> Who led the solution

- private sector
"""

CLOSING = """\
# Closing form of a portfolio

[[focal_point:lead@example.org]]

[[year:2023]]

[[type:learningplan]]

[[country:Kenya]]
## Learnings on your challenge
****

> What are the top key insights you generated about your learning challenge during this Action Learning Plan? (Please list a maximum of 5 key insights)

1) Wanjiru Kamau-Otieno showed that reminders work.

2) Zuberi Mwakalinga's dryer travelled to three districts.
"""

SECRETS = [
    "Wanjiru Kamau-Otieno",
    "Zuberi Mwakalinga",
    "Itzel Quispe Huamán",
    "experimenter.one@example.org",
    "lab.zambia@example.org",
    "mapper@example.org",
    "lead@example.org",
    "zuberi.m@example.com",
    "itzel.qh@example.pe",
    "712 345 678",
    "984 123 456",
    "itzel-quispe-0123abcd",
]


def write_forms(folder: Path) -> Path:
    """The four synthetic forms; the innovation's file name spells the innovator's name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nudges_experiment.md").write_text(EXPERIMENT.format(who="reminder"), encoding="utf-8")
    (folder / "zuberi_mwakalinga_solar_dryer.md").write_text(INNOVATION, encoding="utf-8")
    (folder / "biogas_for_schools.md").write_text(MAPPING, encoding="utf-8")
    (folder / "closing_form.md").write_text(CLOSING, encoding="utf-8")
    return folder


def output_texts(out: Path) -> Iterator[tuple[str, str]]:
    """Every output file as searchable text (JSON decoded, HTML unescaped)."""
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.relative_to(out).parts[0] == "store":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".json":
            text = json.dumps(json.loads(text), ensure_ascii=False)
        elif path.suffix == ".html":
            text = html.unescape(text)
        yield path.name, text


def store_texts(out: Path) -> str:
    """Every IRI and literal the query store answers with."""
    result = run_query(out, "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return "\n".join(term.value for row in result.rows for term in row if term is not None)


def leaks(out: Path, values: list[str]) -> list[tuple[str, str]]:
    """(file, value) for every value found in an output, case and separators ignored."""
    found = []
    texts = [*output_texts(out), ("store", store_texts(out))]
    for value in values:
        words = re.findall(r"[^\W_]+", value)
        pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])", re.I)
        found += [(name, value) for name, text in texts if pattern.search(text)]
    return found


@pytest.fixture(scope="module")
def private_build(tmp_path_factory) -> Path:
    forms = write_forms(tmp_path_factory.mktemp("forms"))
    out = tmp_path_factory.mktemp("out")
    build([forms], out, jobs=1, pseudonymiser=Pseudonymiser("test-key"))
    return out


def test_no_name_email_or_phone_survives_in_any_output(private_build):
    assert leaks(private_build, SECRETS) == []


def test_every_output_file_was_searched(private_build):
    names = {name for name, _ in output_texts(private_build)}
    assert {"graph.ttl", "graph.trig", "manifest.json"} <= names


def test_pseudonyms_replace_the_values_consistently(private_build):
    privacy = Pseudonymiser("test-key")
    trig = (private_build / "graph.trig").read_text(encoding="utf-8")
    assert privacy.person("Zuberi Mwakalinga") in trig  # the answer, the title and the closing form's insight
    assert privacy.person("experimenter.one@example.org") in trig  # focal point
    assert f"{privacy.person('Zuberi Mwakalinga')}_solar_dryer.md" in trig  # file name (dcterms:source, IRI)
    assert '"- 19-35"' not in trig and "private sector" in trig  # categories are not personal


def test_the_manifest_lists_a_file_named_after_a_person_under_its_pseudonymised_name(private_build):
    manifest = json.loads((private_build / "manifest.json").read_text(encoding="utf-8"))
    published = f"{Pseudonymiser('test-key').person('Zuberi Mwakalinga')}_solar_dryer.md"
    entry = next(e for e in manifest["files"] if e["path"] == published)
    assert entry["document"].endswith("/" + published)
    assert len(entry["sha256"]) == 64  # still accounted for: its content's hash
    assert "zuberi" not in (private_build / "manifest.json").read_text(encoding="utf-8").lower()


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_include_personal_data_keeps_the_originals(tmp_path):
    forms = write_forms(tmp_path / "forms")
    out = tmp_path / "out"
    result = kg("build", str(forms), "-o", str(out), "--include-personal-data", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    trig = (out / "graph.trig").read_text(encoding="utf-8")
    for value in ("Wanjiru Kamau-Otieno", "Zuberi Mwakalinga", "experimenter.one@example.org", "+51 984 123 456"):
        assert value in trig
    assert PSEUDONYM.search(trig) is None
    assert {value for name, value in leaks(out, SECRETS) if name == "graph.trig"} == set(SECRETS)  # the search works


@pytest.mark.slow
def test_the_key_changes_every_pseudonym(tmp_path, private_build):
    forms = write_forms(tmp_path / "forms")
    out = tmp_path / "out"
    result = kg("build", str(forms), "-o", str(out), "--pseudonym-key", "another-key", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    first = set(PSEUDONYM.findall((private_build / "graph.trig").read_text(encoding="utf-8")))
    second = set(PSEUDONYM.findall((out / "graph.trig").read_text(encoding="utf-8")))
    assert first and second and not first & second
    assert leaks(out, SECRETS) == []


# ---------------------------------------------------------------------------
# Real corpus forms of each kind
# ---------------------------------------------------------------------------

# File -> values read by hand from it (cat -A), which must not reach any output.
CORPUS_FORMS = {
    # experiments
    "3_days__3_minutes__360_degrees_challenge.md": ["Shamar Ward", "shamar.ward@undp.org"],
    "experimental_survey.md": ["Javier Brolo", "javier.brolo@undp.org"],
    # innovation-challenge entry whose title and file name are the innovator's name
    "caleb_kabamba_.md": ["Caleb Kabamba", "salome.nakazwe@undp.org"],
    # solution mapping: holder, contact with phone, Spanish template, Philippine template
    "2_in_1_firewood_stove.md": ["Prem Huidrom Iboyaima Singh", "anilg@gian.org"],
    "acci_n_cultural_ng_be.md": ["Blas Quintero", "6982-6759"],
    "_reciclaje__compra_y_venta_flor.md": ["Eliecer José Gonzalez Gonzalez"],
    "amazing_amaranthus.md": [
        "roy mamac",
        "9078332188",
        "Llyl Dave Z. Gimeda",
        "ldgimeda.dostxi@gmail.com",
        "9486579037",
        "rex.lor@undp.org",
    ],
    "computer_motherboard_refurbishment.md": ["Rex Lor"],
    # forms that name those people in free text or links
    "closing__alab_ph_s_role_in_an_expanding_circular_economy_portfolio.md": [],
    "learning_to_implement_environmental_public_policy__closing_.md": [],
}


@pytest.fixture(scope="module")
def corpus_build(corpus_dir, tmp_path_factory) -> Path:
    forms = tmp_path_factory.mktemp("corpus_forms")
    for name in CORPUS_FORMS:
        if not (corpus_dir / name).is_file():
            pytest.skip(f"corpus form {name} not present")
        shutil.copy(corpus_dir / name, forms / name)
    out = tmp_path_factory.mktemp("corpus_out")
    build([forms], out, jobs=1)
    return out


def test_real_forms_values_were_read_correctly(corpus_dir):
    """The values are really in the forms (so the next test is not vacuous)."""
    for name, values in CORPUS_FORMS.items():
        text = (corpus_dir / name).read_text(encoding="utf-8")
        for value in values:
            assert value in text, (name, value)
    closing = (corpus_dir / "closing__alab_ph_s_role_in_an_expanding_circular_economy_portfolio.md").read_text()
    assert "Rex Lor" in closing
    policy = (corpus_dir / "learning_to_implement_environmental_public_policy__closing_.md").read_text()
    assert "javier_brolo_undp_org" in policy


@pytest.mark.slow
def test_no_real_name_email_or_phone_survives_in_any_output(corpus_build):
    values = sorted({value for values in CORPUS_FORMS.values() for value in values})
    assert leaks(corpus_build, values) == []


# ---------------------------------------------------------------------------
# The Python API's dataset gets the same privacy pass as kg build
# ---------------------------------------------------------------------------


def api_dataset(protect: bool):
    """The four synthetic forms through extract -> (protect) -> resolve -> build_dataset."""
    from kg.extract import extract
    from kg.graph import build_dataset
    from kg.resolve import resolve

    names = {
        "nudges_experiment.md": EXPERIMENT.format(who="reminder"),
        "zuberi_mwakalinga_solar_dryer.md": INNOVATION,
        "biogas_for_schools.md": MAPPING,
        "closing_form.md": CLOSING,
    }
    extractions = [extract(parse_form(text, name)) for name, text in names.items()]
    privacy = Pseudonymiser(key="api-test")
    protection = privacy.protect(extractions) if protect else None
    return build_dataset(extractions, resolve(extractions), privacy, protection)


def dataset_text(dataset) -> str:
    return "\n".join(str(term) for quad in dataset.quads((None, None, None, None)) for term in quad)


def test_build_dataset_with_protection_leaves_no_secret():
    text = dataset_text(api_dataset(protect=True))
    assert [secret for secret in SECRETS if secret in text] == []
    assert PSEUDONYM.search(text)


def test_build_dataset_without_protection_still_scrubs_each_forms_own_values():
    text = dataset_text(api_dataset(protect=False))
    # Each form's own people, e-mails and phones go; the closing form, which names
    # the others' people without a name question of its own, keeps them, and so
    # does the file name (paths are pseudonymised by protect, before resolution).
    leaked = {secret for secret in SECRETS if secret in text}
    assert leaked == {"Wanjiru Kamau-Otieno", "Zuberi Mwakalinga"}
    assert "doc/zuberi_mwakalinga_solar_dryer.md" in text
    assert "zuberi.m@example.com" not in text and "Dr. Itzel Quispe Huamán" not in text


# --- people named outside personal questions (kg.people) -------------------------------------------------

HOLDERS = """\
# Fog nets for hillside farms

[[focal_point:lab.peru@example.org]]

[[year:2024]]

[[type:solution]]

[[country:Peru]]

## Solution holder: Amani Odhiambo and Lucía Fernández

> Brief description of the solution

Fog nets that water hillside farms. The nets were first made with Practical Action.

## Follow-up

> Anything else?

Contact: Tendai Moyo, Head of Experimentation, Accelerator Lab Zimbabwe for further queries.
A blog post authored by Professor Ilse Vandermeer and our Head of Exploration, Bojan Petrović, tells the story.
El manual fue elaborado por la Fundación Juan de Salazar.
"""

FOCAL = """\
# Rangi Takerei

[[focal_point:rangi.takerei@example.org]]

[[year:2024]]

[[type:solution]]

[[country:Peru]]

> Brief description of the solution

Solar lamps for night markets.
"""

MENTIONS = """\
# Night markets learning plan

[[focal_point:someone.else@example.org]]

[[year:2024]]

[[type:learning plan]]

[[country:Peru]]

> What did you learn?

We learnt a lot from Rangi Takerei and from Pablo Durán, who ran the markets. Practical Action lent us lamps.
Our action plan was practical: practical steps, practical tools, quick action and more action.
Grace Field led the field work: field visits, field notes and a field day.

> Name of the innovator

Practical Action
"""

STAFF = """\
# Field notes

[[focal_point:grace.field@example.org]]

[[year:2023]]

[[type:solution]]

[[country:Peru]]

> Brief description of the solution

Notes from the markets.
"""

DURAN = """\
# Market stalls

[[focal_point:pablo.duran@example.org]]

[[year:2023]]

[[type:solution]]

[[country:Peru]]

> Brief description of the solution

Stalls that fold.
"""

PEOPLE_SECRETS = [
    "Amani Odhiambo",
    "Lucía Fernández",
    "Tendai Moyo",
    "Ilse Vandermeer",
    "Bojan Petrović",
    "Rangi Takerei",
    "Pablo Durán",
    "Pablo Duran",
    "Grace Field",  # a focal point's name: hunted though "field" is a common noun in the build
]


@pytest.fixture(scope="module")
def people_build(tmp_path_factory) -> Path:
    forms = tmp_path_factory.mktemp("people-forms")
    for name, text in (("fog_nets.md", HOLDERS), ("rangi_takerei.md", FOCAL), ("night_markets.md", MENTIONS),
                       ("market_stalls.md", DURAN), ("field_notes.md", STAFF)):
        (forms / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("people-out")
    build([forms], out, jobs=1, pseudonymiser=Pseudonymiser("test-key"))
    return out


def test_people_named_outside_personal_questions_leave_every_output(people_build):
    assert leaks(people_build, PEOPLE_SECRETS) == []


def test_a_labelled_heading_keeps_its_label_and_loses_its_names(people_build):
    privacy = Pseudonymiser("test-key")
    trig = (people_build / "graph.trig").read_text(encoding="utf-8")
    amani, lucia = privacy.person("Amani Odhiambo"), privacy.person("Lucía Fernández")
    assert f'pkg:section "Solution holder: {amani} and {lucia}"' in trig


def test_a_title_that_is_the_focal_points_name_becomes_its_pseudonym(people_build):
    pseudonym = Pseudonymiser("test-key").person("Rangi Takerei")
    trig = (people_build / "graph.trig").read_text(encoding="utf-8")
    assert f'dcterms:title "{pseudonym}"' in trig
    assert f'dcterms:source "{pseudonym}.md"' in trig  # the file name follows


def test_a_name_is_found_whatever_its_accents(people_build):
    """The address spells "Pablo Duran"; another form writes "Pablo Durán": both get one pseudonym."""
    trig = (people_build / "graph.trig").read_text(encoding="utf-8")
    assert f"from {Pseudonymiser('test-key').person('Pablo Duran')}, who ran the markets" in trig


def test_organisations_that_look_like_people_survive(people_build):
    trig = (people_build / "graph.trig").read_text(encoding="utf-8")
    # "Practical Action" answers a name question in another form, but its words are common nouns in the build.
    assert "first made with Practical Action." in trig
    assert "elaborado por la Fundación Juan de Salazar." in trig


def test_the_manifest_counts_what_each_rule_found(people_build):
    manifest = json.loads((people_build / "manifest.json").read_text(encoding="utf-8"))
    privacy = manifest["summary"]["privacy"]
    assert privacy["pseudonymised"] is True
    found = privacy["found_by_rule"]
    # By hand: 2 names in the heading; "Tendai Moyo" after "Contact:"; "Ilse Vandermeer" after "authored by";
    # "Tendai Moyo" and "Bojan Petrović" beside "Head of"; the five focal points, of which four spell a name;
    # five focal-point addresses; "Practical Action" answers a personal question.
    assert (found["labelled-heading"], found["labelled-line"], found["by-line"], found["role-line"]) == (2, 1, 1, 2)
    assert (found["focal-point-name"], found["email-name"], found["email"]) == (4, 0, 5)
    assert (found["personal-answer"], found["phone"]) == (1, 0)
    assert "Tendai" not in json.dumps(manifest)
