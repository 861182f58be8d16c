import pytest

from socialpulse.domain import Account


@pytest.fixture
def spotify_cares() -> Account:
    return Account(network="x", account_id="spotifycares", handle="@SpotifyCares", purpose="service")


@pytest.fixture
def facebook_page() -> Account:
    return Account(
        network="facebook",
        account_id="183542098374915",
        handle="socialpulse.demo",
        purpose="brand",
        time_zone="Europe/Paris",
        # the fixture's post times (10/02/2017 ...) are MM/DD, as Facebook writes them, and no day tells
        options={"date_order": "mdy"},
    )


@pytest.fixture
def linkedin_page() -> Account:
    return Account(network="linkedin", account_id="18543021", handle="socialpulse-demo", purpose="brand")


@pytest.fixture
def youtube_channel() -> Account:
    return Account(network="youtube", account_id="UCx9demo", handle="@socialpulse", purpose="brand")
