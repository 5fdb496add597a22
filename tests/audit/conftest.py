from tests.orgs.conftest import fast_password_hashing  # noqa: F401
