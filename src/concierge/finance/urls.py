from django.urls import path

from concierge.finance import views

app_name = "finance"
urlpatterns = [
    path("", views.index, name="index"),
    path("quick/", views.quick_add, name="quick_add"),
    path("transactions/", views.transactions, name="transactions"),
    path("transactions/new/", views.transaction_new, name="transaction_new"),
    path("transactions/<int:pk>/", views.transaction_edit, name="transaction_edit"),
    path("transactions/<int:pk>/delete/", views.transaction_delete, name="transaction_delete"),
    path("transactions/undo/", views.undo, name="undo"),
    path("transactions/bulk-delete/", views.bulk_delete, name="bulk_delete"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:pk>/share/", views.account_share, name="account_share"),
    path("categories/", views.categories, name="categories"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rates/", views.rates, name="rates"),
    path("budgets/", views.budgets, name="budgets"),
    path("recurring/", views.recurring, name="recurring"),
    path("goals/", views.goals, name="goals"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("export/", views.export, name="export"),
    path("import/", views.import_file, name="import"),
    path("household/", views.household, name="household"),
    path("household/join/<str:token>/", views.household_accept, name="household_accept"),
]
