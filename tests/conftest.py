import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from config.celery import app as celery_app
from principles.loader import PRINCIPLES_FILE
from principles.services import bundled_load, framework_load, principles_load
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from tests.frameworks import VENDOR_FILE, to_yaml, vendor_data, vendor_yaml


def pytest_configure(config):
    # WhiteNoise warns that STATIC_ROOT is missing: tests never run collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(scope="session")
def _hidden_root(tmp_path_factory):
    return tmp_path_factory.mktemp("hidden")


@pytest.fixture(autouse=True)
def _test_settings(settings, _hidden_root):
    # Name static files as they are: with DEBUG off the manifest storage needs collectstatic first.
    # Hidden competition labels go to a throwaway folder, never var/hidden.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "hidden": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(_hidden_root)},
        },
    }
    # A deliberately slow hasher protects real passwords; test passwords need no protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """Tasks run in the test's process, as on a laptop, even when REDIS_URL names a broker (CI).

    Otherwise `.delay()` in a unit test would leave a message in Redis that no worker takes.
    Tests marked `services` get the configured broker. The value is set before every test
    rather than restored after: a test's own `monkeypatch` of the Celery config may be
    undone after this fixture's teardown (pytest-django's autouse fixtures hold `monkeypatch`).
    """
    from django.conf import settings

    services = request.node.get_closest_marker("services") is not None
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER if services else True


@pytest.fixture
def bundled(db):
    """The bundled principles and ML Maturity Model, loaded as `make run` loads them."""
    return bundled_load()


@pytest.fixture
def principles_loaded(db):
    """Only the bundled principles, for frameworks whose criteria name one."""
    return principles_load(
        text=PRINCIPLES_FILE.read_text(encoding="utf-8"), source=str(PRINCIPLES_FILE)
    )


@pytest.fixture
def vendor_framework(principles_loaded):
    """The small public fixture questionnaire (tests/fixtures), not the bundled model."""
    return framework_load(text=vendor_yaml(), source=str(VENDOR_FILE)).framework


@pytest.fixture
def private_framework(principles_loaded, supplier_a_org):
    """A copy of the fixture questionnaire owned by supplier A's organisation."""
    data = vendor_data()
    data["slug"] = "acme-internal-review"
    data["name"] = "Acme internal review"
    return framework_load(
        text=to_yaml(data), source="acme-internal-review.yaml", owner=supplier_a_org
    ).framework


@pytest.fixture
def buyer_org(db):
    return OrganisationFactory(
        name="Northwind Rail", slug="northwind-rail", kind=Organisation.Kind.BUYER
    )


@pytest.fixture
def supplier_a_org(db):
    return OrganisationFactory(
        name="Acme Analytics", slug="acme-analytics", kind=Organisation.Kind.SUPPLIER
    )


@pytest.fixture
def supplier_b_org(db):
    return OrganisationFactory(
        name="Blue Heron AI", slug="blue-heron-ai", kind=Organisation.Kind.SUPPLIER
    )


@pytest.fixture
def buyer(buyer_org):
    """The procurement manager of the buyer organisation."""
    return MembershipFactory(
        user=UserFactory(username="alice"),
        organisation=buyer_org,
        role=Membership.Role.PROCUREMENT_MANAGER,
    ).user


@pytest.fixture
def reviewer(buyer_org):
    return MembershipFactory(
        user=UserFactory(username="bob"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def supplier_a(supplier_a_org):
    return MembershipFactory(
        user=UserFactory(username="charlie"),
        organisation=supplier_a_org,
        role=Membership.Role.SUPPLIER,
    ).user


@pytest.fixture
def supplier_b(supplier_b_org):
    return MembershipFactory(
        user=UserFactory(username="dana"),
        organisation=supplier_b_org,
        role=Membership.Role.SUPPLIER,
    ).user


@pytest.fixture
def outsider(db):
    """A signed-in person who belongs to no organisation."""
    return UserFactory(username="eve")


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api_client():
    return APIClient()
