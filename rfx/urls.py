from rfx.views import buyer, competition, documents, evaluation, exports, supplier

urlpatterns = (
    buyer.urlpatterns
    + supplier.urlpatterns
    + evaluation.urlpatterns
    + exports.urlpatterns
    + documents.urlpatterns
    + competition.urlpatterns
)
