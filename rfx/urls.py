from rfx.views import buyer, evaluation, exports, supplier

urlpatterns = (
    buyer.urlpatterns + supplier.urlpatterns + evaluation.urlpatterns + exports.urlpatterns
)
