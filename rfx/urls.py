from rfx.views import buyer, documents, evaluation, exports, supplier

urlpatterns = (
    buyer.urlpatterns
    + supplier.urlpatterns
    + evaluation.urlpatterns
    + exports.urlpatterns
    + documents.urlpatterns
)
