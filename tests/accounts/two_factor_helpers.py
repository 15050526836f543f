"""Codes as an authenticator app computes them, for the two-factor tests."""

import base64
import time

from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import two_factor


def code_at(key: bytes, counter: int, digits: int = 6) -> str:
    return f"{hotp(key, counter, digits=digits):0{digits}d}"


def secret_code(secret: str, step: int = 30) -> str:
    """The current code for a key as the setup page shows it (base32 in groups of four),
    as the user's app computes it."""
    text = secret.replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    return code_at(key, int(time.time()) // step)


def device_code(device: TOTPDevice) -> str:
    """A code the device accepts now and has not accepted before: the server takes one
    step of clock drift either way and each time step's code once, so a test that uses
    several codes within 30 seconds takes the next step's."""
    now = (int(time.time()) - device.t0) // device.step
    counter = max(device.last_t + 1, now + device.drift - device.tolerance)
    assert counter <= now + device.drift + device.tolerance, "no unused code left in this time window"
    return code_at(device.bin_key, counter, device.digits)


def enrol(user: User) -> list[str]:
    """Turn two-factor on for `user` as the setup page does; returns the recovery codes."""
    device = two_factor.pending_device(user)
    return two_factor.confirm_enrolment(user, device_code(device))


def next_code(user: User) -> str:
    return device_code(TOTPDevice.objects.get(user=user, confirmed=True))
