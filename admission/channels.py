"""Government messaging channels for group robots (pluggable: one class per platform, chosen by GroupRobot.platform).

- DingTalk (钉钉自定义机器人, 加签): `timestamp` in milliseconds and `sign` = url-encoded base64 of HMAC-SHA256 over
  "timestamp\\nsecret" keyed with the secret, appended to the webhook address.
- WeCom (企业微信群机器人): the key is part of the webhook address; the platform defines no signature.
Both take {"msgtype": "text", "text": {"content": ...}} and answer {"errcode": 0, ...} when they accept it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from typing import Protocol

from .models import GroupRobot, RobotPlatform

TIMEOUT_SECONDS = 10


class RobotRefused(Exception):
    """The platform answered, but did not take the message (a wrong key or signature, a rate limit)."""


class Channel(Protocol):
    def address(self, robot: GroupRobot) -> str: ...


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


class DingTalk:
    def address(self, robot: GroupRobot) -> str:
        if not robot.secret:
            return robot.webhook_url
        timestamp = int(time.time() * 1000)
        separator = "&" if "?" in robot.webhook_url else "?"
        return f"{robot.webhook_url}{separator}timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"


class WeCom:
    def address(self, robot: GroupRobot) -> str:
        return robot.webhook_url


CHANNELS: dict[str, Channel] = {RobotPlatform.DINGTALK: DingTalk(), RobotPlatform.WECOM: WeCom()}


def post(robot: GroupRobot, text: str) -> None:
    """Post `text` to the robot's group; OSError when the platform cannot be reached, RobotRefused when it says no."""
    address = CHANNELS[robot.platform].address(robot)
    if urllib.parse.urlsplit(address).scheme not in ("https", "http"):
        raise RobotRefused(f"not a web address: {robot.webhook_url[:60]}")
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        address, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode") != 0:
        raise RobotRefused(f"{answer.get('errcode')}: {str(answer.get('errmsg', ''))[:200]}")
