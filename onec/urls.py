from django.urls import path

from onec import views

app_name = "onec"

urlpatterns = [
    path("1c/exchange", views.exchange, name="exchange"),
    path("1c/exchange/", views.exchange),
    # 1C's default script path (Bitrix)
    path("bitrix/admin/1c_exchange.php", views.exchange, name="exchange-bitrix"),
]
