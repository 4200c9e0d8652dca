from django.http import HttpResponse


def _stub(request, *a, **k):
    return HttpResponse("")


index = scan = receive = sell = adjust = items = item_create = import_items = _stub
export_items = item_labels = item_detail = item_edit = reorder_rule = item_forecast = _stub
batch_labels = locations = location_labels = stocktake = import_stock = export_stock = _stub
movements = export_movements = reorder = purchase_orders = purchase_order = _stub
purchase_order_receive = purchase_order_pdf = transfers = transfer_create = _stub
transfer_detail = alerts_page = reports = report_csv = forecast_run = _stub
