"""Numbers in a query or a form that are digits to Python's str.isdigit but not to int() — "²", "٣" (Arabic-Indic),
a number longer than a database key — were a 500 (schemathesis found `?limit=²`): everywhere a number is read from a
request they are now taken as no number at all, and the page answers as for any other bad value."""

import pytest
from django.urls import reverse

from admission.services.identity import enrol_totp_device, new_totp_key
from tests import support

ODD = ["²", "٣", "1²", "9" * 30, "9" * 5000]


@pytest.fixture
def banner(db):
    return support.build_banner(code="150721", name="阿荣旗", short="旗")


@pytest.mark.parametrize("value", ODD)
def test_api_pagination_refuses_a_number_int_cannot_read_with_400(client, db, value):
    for name in ("limit", "offset"):
        response = client.get(reverse("api:jurisdictions"), {name: value}, HTTP_ACCEPT="application/json")
        assert response.status_code == 400, (name, value)
        assert name in response.json()


@pytest.mark.parametrize("value", ODD)
def test_pages_read_an_odd_number_as_none(client, banner, value):
    client.force_login(banner.users["office"])
    for url, params in (
        (reverse("admission:dashboard"), {"year": value}),
        (reverse("admission:request_list"), {"year": value, "banner": value}),
        (reverse("admission:duty_list"), {"township": value}),
        (reverse("workflows:queue"), {"year": value}),
    ):
        response = client.get(url, params)
        assert response.status_code == 200, (url, value)
    response = client.post(reverse("workflows:claim_many"), {"tasks": [value]})
    assert response.status_code == 302


@pytest.mark.parametrize("value", ["²²²²²²", "٣٣٣٣٣٣"])
def test_a_second_factor_code_of_other_digits_is_refused_with_the_message(banner, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        enrol_totp_device(user=banner.users["office"], key=new_totp_key(), token=value)
    assert "6 位数字" in str(refused.value)
