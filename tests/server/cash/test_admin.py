"""The back office's Zs: per terminal and day, variances highlighted, each Z's report and
PDF shown from the stored entry, never recomputed; cash moves listed."""

from __future__ import annotations

import io

from django.test import Client
from pypdf import PdfReader

from kassa.server.cash.models import ZReport
from kassa.server.cash.selectors import z_payload
from kassa.server.cash.ztext import z_text

from ..conftest import OrderBuilder, Shop
from .conftest import DayTill


def test_zs_are_listed_shown_and_downloaded_as_stored(
    admin_client: Client, till: DayTill, orders: OrderBuilder, shop: Shop
) -> None:
    # given a closed day with a cash out, a count 7.00 short (over the 5.00 limit)
    sold = [orders.order(cash="10.00")]
    entries = [till.open(orders.session), till.sale(sold[0]), till.move("out", "20.00")]
    entries.append(till.count("74.98"))
    till.clock = "2026-11-30T20:00:00.000+01:00"
    till.sync(sold, entries + till.close())
    z = ZReport.objects.get()
    assert (z.over_limit, str(z.variance)) == (True, "-7.00")
    # when the owner opens the Zs, one Z, its PDF, and the cash moves
    listing = admin_client.get("/admin/cash/zreport/").content.decode()
    page = admin_client.get(f"/admin/cash/zreport/{z.pk}/change/").content.decode()
    pdf = admin_client.get(f"/admin/cash/zreport/{z.pk}/pdf/")
    moves = admin_client.get("/admin/cash/cashmove/").content.decode()
    # then the list highlights the variance, the page shows the stored Z's text
    assert "-7.00 (over limit)" in listing
    assert "color: #ba2121" in listing
    lines = z_text(z_payload(z))
    assert all(line.replace("&", "&amp;") in page for line in lines if line.strip())
    assert "Z REPORT No. 1" in page
    assert "  difference (OVER LIMIT)                  -7.00" in page
    # the PDF is that text
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="z-POS1-000001.pdf"'
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Z REPORT No. 1" in text
    assert "Suggested float" in text
    assert "74.98" in text
    # and the cash move is listed
    assert "cash out" in moves and "20.00" in moves
    for url in ["/admin/cash/cashcount/", "/admin/cash/periodclose/", "/admin/cash/cashsession/"]:
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/cash/zreport/999999/change/").status_code == 404
