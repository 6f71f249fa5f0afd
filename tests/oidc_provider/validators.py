"""The claims the test platform puts in its tokens, and the platform accounts whose tokens are deliberately bad, so
that the product's refusal of them is tested through the real flow: an ID token that expired before it was issued, one
issued to another client or by another issuer, and one whose claims were altered after signing (to impersonate the
first mapped account) — what a replay, a token meant for another system, or a man in the middle would present."""

import base64
import json
import time

from oauth2_provider.oauth2_validators import OAuth2Validator

IMPERSONATED_SUBJECT = "platform-zhangsan"


class PlatformValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "preferred_username": "profile", "name": "profile"}

    def get_claim_dict(self, request):
        # A platform's stable subject, not the provider's row number.
        return {
            "sub": f"platform-{request.user.username}",
            "preferred_username": request.user.username,
            "name": request.user.first_name or request.user.username,
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        username = request.user.username
        if username == "expired":
            claims["exp"] = int(time.time()) - 3600
        elif username == "foreign-audience":
            claims["aud"] = "another-system"
        elif username == "foreign-issuer":
            claims["iss"] = "https://issuer.invalid/o"
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if request.user.username != "tampered":
            return signed
        header, payload, signature = signed.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = IMPERSONATED_SUBJECT
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"
