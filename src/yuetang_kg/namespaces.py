"""The IRIs of the project: one base, the ontology namespace, and the instance IRI scheme.

Instances are ``<BASE>id/<kind>/<slug>``; the kind follows from the class (a village is a ``place``).

>>> entity_iri("Village", "zhaoshan-qixing-cun")
rdflib.term.URIRef('https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun')
"""

from rdflib import Namespace, URIRef

BASE = "https://w3id.org/yuetang-kg/"
YKG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
ONTOLOGY_IRI = URIRef(BASE + "ontology")

SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
WD = Namespace("http://www.wikidata.org/entity/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
QB = Namespace("http://purl.org/linked-data/cube#")
OA = Namespace("http://www.w3.org/ns/oa#")
VANN = Namespace("http://purl.org/vocab/vann/")

# The prefixes every output and every query header may use.
PREFIXES = {
    "ykg": YKG,
    "id": ID,
    "schema": SCHEMA,
    "org": ORG,
    "nif": NIF,
    "qudt": QUDT,
    "unit": UNIT,
    "wd": WD,
    "void": VOID,
    "dcat": DCAT,
    "sd": SD,
    "qb": QB,
    "oa": OA,
    "vann": VANN,
    "skos": Namespace("http://www.w3.org/2004/02/skos/core#"),
    "prov": Namespace("http://www.w3.org/ns/prov#"),
    "dct": Namespace("http://purl.org/dc/terms/"),
    "foaf": Namespace("http://xmlns.com/foaf/0.1/"),
    "time": Namespace("http://www.w3.org/2006/time#"),
    "owl": Namespace("http://www.w3.org/2002/07/owl#"),
    "rdf": Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    "rdfs": Namespace("http://www.w3.org/2000/01/rdf-schema#"),
    "xsd": Namespace("http://www.w3.org/2001/XMLSchema#"),
    "sh": Namespace("http://www.w3.org/ns/shacl#"),
}

# Which IRI kind each ontology class's instances get; subclasses not listed take their top class's kind.
KIND_OF_TOP_CLASS = {
    "Place": "place",
    "Organization": "org",
    "Person": "person",
    "Post": "post",
    "Group": "group",
    "Initiative": "initiative",
    "Industry": "industry",
    "Domain": "domain",
    "Product": "product",
    "Award": "award",
    "Event": "event",
    "Utterance": "utterance",
    "Observation": "observation",
    "StatisticalVariable": "variable",
    "Unit": "unit",
    "Period": "period",
    "SourceDocument": "document",
    "Reference": "reference",
    "Statement": "statement",
}

_PLACE_CLASSES = [
    "AdministrativeDivision",
    "Country",
    "Province",
    "PrefectureLevelCity",
    "District",
    "County",
    "Subdistrict",
    "Town",
    "Village",
    "VillagerGroup",
    "Community",
    "ResidentialCompound",
    "Region",
    "MetropolitanArea",
    "EcologicalZone",
    "DevelopmentZone",
    "River",
    "Mountain",
    "Facility",
]
_ORG_CLASSES = [
    "Enterprise",
    "StateOwnedEnterprise",
    "Cooperative",
    "PartyOrganization",
    "GovernmentBody",
    "EducationalInstitution",
    "School",
    "Campus",
    "HealthcareOrganization",
    "ResearchInstitution",
]
_INITIATIVE_CLASSES = [
    "Agenda",
    "Project",
    "Programme",
    "Campaign",
    "Plan",
    "Strategy",
    "Goal",
    "PolicyDocument",
    "Mechanism",
    "Service",
    "Measure",
]

KIND_OF_CLASS = {
    **KIND_OF_TOP_CLASS,
    **dict.fromkeys(_PLACE_CLASSES, "place"),
    **dict.fromkeys(_ORG_CLASSES, "org"),
    **dict.fromkeys(_INITIATIVE_CLASSES, "initiative"),
    "ProductVariety": "product",
    "Certification": "award",
    "DerivedObservation": "observation",
}


def kind_of(class_name: str) -> str:
    """The IRI kind of a class's instances; a class outside the table is its own kind, in lower case."""
    return KIND_OF_CLASS.get(class_name, class_name.lower())


def entity_iri(class_name: str, slug: str) -> URIRef:
    """The IRI of an instance of ``class_name`` whose id is ``slug``."""
    return ID[f"{kind_of(class_name)}/{slug}"]


def iri(kind: str, slug: str) -> URIRef:
    """The IRI of an instance of a given kind (``observation``, ``unit`` …)."""
    return ID[f"{kind}/{slug}"]
