"""Schema checks of an absolute price resource (price-and-availability-private-offer-plan).

It calls only the shared :class:`FieldChecker` it is given (findings and primitives).
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.validation_base import (
    PLAN_RE,
    PRICE_FIELDS,
    PRICE_ID_RE,
    PRODUCT_RE,
    FieldChecker,
)
from reconciler.emulator.vocabulary import (
    PRICING_TYPES,
    TERM_TYPES,
)


class PriceChecks:
    def __init__(self, check: FieldChecker) -> None:
        self.check = check  # the request's shared findings and primitive checks

    def price(self, res: dict[str, object], where: str) -> None:
        self.check.obj(res, where, PRICE_FIELDS, ("product", "offerPricingType"))
        if "id" not in res:
            self.check.string(res, "resourceName", where, required=True, min_len=1, max_len=50)
        self.check.string(res, "id", where, pattern=PRICE_ID_RE)
        self.check.string(res, "product", where, pattern=PRODUCT_RE)
        self.check.string(res, "plan", where, required=True, pattern=PLAN_RE)
        pricing_type = self.check.string(res, "offerPricingType", where, enum=PRICING_TYPES)
        has_pricing, has_reservation = "pricing" in res, "softwareReservation" in res
        if has_pricing == has_reservation:
            self.check.fail(
                where, "Exactly one of 'pricing' and 'softwareReservation' is required."
            )
        if has_reservation and pricing_type != "vmSoftwareReservations":
            self.check.fail(
                f"{where}.softwareReservation",
                "'softwareReservation' is only for offerPricingType 'vmSoftwareReservations'.",
            )
        if has_pricing and pricing_type == "vmSoftwareReservations":
            self.check.fail(
                f"{where}.pricing",
                "offerPricingType 'vmSoftwareReservations' takes 'softwareReservation'.",
            )
        if has_pricing:
            self.pricing_block(res["pricing"], f"{where}.pricing")
        if has_reservation:
            self.reservation(res["softwareReservation"], f"{where}.softwareReservation")

    def term(self, value: Any, where: str) -> None:
        if self.check.obj(value, where, {"type", "value"}, ("type", "value")):
            self.check.string(value, "type", where, enum=TERM_TYPES)
            self.check.number(value, "value", where, minimum=1, maximum=5)

    def pricing_block(self, value: Any, where: str) -> None:
        if not self.check.obj(value, where, {"recurrentPrice", "customMeters"}):
            return
        if "recurrentPrice" not in value and "customMeters" not in value:
            self.check.fail(where, "A price needs 'recurrentPrice' and/or 'customMeters'.")
        recurrent = value.get("recurrentPrice")
        if recurrent is not None:
            w = f"{where}.recurrentPrice"
            if self.check.obj(
                recurrent,
                w,
                {"recurrentPriceMode", "priceInputOption", "userLimits", "prices"},
                ("priceInputOption", "prices"),
            ):
                self.check.string(recurrent, "recurrentPriceMode", w, enum=("flatRate", "perUser"))
                self.check.string(recurrent, "priceInputOption", w, enum=("usd",))
                if "userLimits" in recurrent and self.check.obj(
                    recurrent["userLimits"], f"{w}.userLimits", {"min", "max"}, ("min", "max")
                ):
                    self.check.number(recurrent["userLimits"], "min", f"{w}.userLimits", minimum=1)
                    self.check.number(recurrent["userLimits"], "max", f"{w}.userLimits", minimum=1)
                prices = self.check.array(recurrent, "prices", w, min_items=1) or []
                for i, price in enumerate(prices):
                    pw = f"{w}.prices[{i}]"
                    if self.check.obj(
                        price,
                        pw,
                        {"billingTerm", "paymentOption", "pricePerPaymentInUsd"},
                        ("billingTerm", "pricePerPaymentInUsd"),
                    ):
                        self.term(price["billingTerm"], f"{pw}.billingTerm")
                        if "paymentOption" in price:
                            self.term(price["paymentOption"], f"{pw}.paymentOption")
                        self.check.number(price, "pricePerPaymentInUsd", pw, minimum=0)
        meters = value.get("customMeters")
        if meters is not None:
            w = f"{where}.customMeters"
            if self.check.obj(
                meters, w, {"priceInputOption", "meters"}, ("priceInputOption", "meters")
            ):
                self.check.string(meters, "priceInputOption", w, enum=("usd",))
                table = meters.get("meters")
                if not isinstance(table, dict):
                    self.check.fail(f"{w}.meters", "'meters' must be an object keyed by meter id.")
                    return
                for meter_id, meter in table.items():
                    mw = f"{w}.meters.{meter_id}"
                    if not self.check.obj(
                        meter, mw, {"pricePerPaymentInUsd", "includedQuantities"}
                    ):
                        continue
                    if ("pricePerPaymentInUsd" in meter) == ("includedQuantities" in meter):
                        self.check.fail(
                            mw,
                            "A meter takes either 'pricePerPaymentInUsd' or 'includedQuantities'.",
                        )
                    self.check.number(meter, "pricePerPaymentInUsd", mw, minimum=0)
                    for j, quantity in enumerate(
                        self.check.array(meter, "includedQuantities", mw, min_items=1) or []
                    ):
                        qw = f"{mw}.includedQuantities[{j}]"
                        if self.check.obj(
                            quantity,
                            qw,
                            {"billingTerm", "quantity", "isInfinite"},
                            ("billingTerm",),
                        ):
                            self.term(quantity["billingTerm"], f"{qw}.billingTerm")
                            self.check.number(quantity, "quantity", qw, minimum=0)
                            self.check.boolean(quantity, "isInfinite", qw)
                            if (
                                quantity.get("isInfinite") is not True
                                and "quantity" not in quantity
                            ):
                                self.check.fail(
                                    f"{qw}.quantity",
                                    "'quantity' is required unless 'isInfinite' is true.",
                                )

    def reservation(self, value: Any, where: str) -> None:
        if not self.check.obj(
            value,
            where,
            {"reservationDuration", "paymentSchedule", "vmPrices"},
            ("reservationDuration", "paymentSchedule", "vmPrices"),
        ):
            return
        self.term(value["reservationDuration"], f"{where}.reservationDuration")
        self.term(value["paymentSchedule"], f"{where}.paymentSchedule")
        prices = value["vmPrices"]
        if not isinstance(prices, dict) or not prices:
            self.check.fail(
                f"{where}.vmPrices", "'vmPrices' must be a non-empty object keyed by VM size."
            )
            return
        for size, price in prices.items():
            w = f"{where}.vmPrices.{size}"
            if self.check.obj(
                price,
                w,
                {"quantity", "unitPricePerPaymentPeriodInUsd"},
                ("quantity", "unitPricePerPaymentPeriodInUsd"),
            ):
                self.check.number(price, "quantity", w, minimum=0, exclusive_min=True)
                self.check.number(price, "unitPricePerPaymentPeriodInUsd", w, minimum=0)
