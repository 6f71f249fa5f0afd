"""Chinese by default, whatever the browser asks; English when the user picks it (compiled by `make test`)."""

from django.urls import reverse


def test_the_interface_is_chinese_by_default_and_english_on_request(client, banner):
    client.force_login(banner.users["naji"])
    chinese = client.get(reverse("workflows:queue"), HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "本单位任务队列" in chinese and 'lang="zh-hans"' in chinese
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("workflows:queue")).content.decode()
    assert "Our queue" in english and "本单位任务队列" not in english
    assert "My tasks" in english and 'lang="en"' in english
