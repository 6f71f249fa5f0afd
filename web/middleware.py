from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language with the switch: a browser's Accept-Language is not a choice
    (a clerk on an English-language computer still works in the official language)."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Features no page of ours uses: the browser refuses them to any script that might get in.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
        "browsing-topics",
    )
)


class PrivateResponseMiddleware:
    """Permissions-Policy on every response; nothing a signed-in user sees, and no file handed out, is kept in a
    shared or browser cache (Cache-Control: no-store), so it does not outlive the session on a shared computer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, http_request):
        response = self.get_response(http_request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(http_request, "user", None)
        if (user is not None and user.is_authenticated) or response.has_header("Content-Disposition"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
