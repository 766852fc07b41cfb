"""URL map: accounts, then everything about one review under /reviews/<id>/."""

from __future__ import annotations

from django.urls import include, path

from evsynth.web.accounts import views as accounts
from evsynth.web.analysis import views as analysis
from evsynth.web.appraisal import views as appraisal
from evsynth.web.reviews import views as reviews
from evsynth.web.screening import views as screening

review_patterns = [
    path("", reviews.review_home, name="review-home"),
    path("protocol/", reviews.protocol, name="protocol"),
    path("team/", reviews.members, name="members"),
    path("audit/", reviews.audit, name="audit"),
    path("export.zip", reviews.export, name="export"),
    path("jobs/<int:job_id>.json", reviews.job_status, name="job-status"),
    path("jobs/<int:job_id>/download", reviews.job_download, name="job-download"),
    path("import/", screening.records_import, name="records-import"),
    path("duplicates/", screening.duplicates, name="dedup"),
    path("records/", screening.records_list, name="records-list"),
    path("records.json", screening.records_json, name="records-json"),
    path("records/export", screening.records_export, name="records-export"),
    path("screen/<str:stage>/", screening.screen, name="screen"),
    path("screen/<str:stage>/decide", screening.decide, name="decide"),
    path("screen/<str:stage>/decide.json", screening.decide_json, name="decide-json"),
    path("screen/<str:stage>/undo", screening.undo, name="undo"),
    path("conflicts/", screening.conflicts, name="conflicts"),
    path("fulltext/", screening.fulltext, name="fulltext"),
    path("fulltext/<str:record_id>.pdf", screening.fulltext_file, name="fulltext-file"),
    path("studies/", appraisal.studies, name="studies"),
    path("studies/<str:study_id>/", appraisal.extraction, name="extraction"),
    path("studies/<str:study_id>/appraise/<str:instrument>/", appraisal.appraise, name="appraise"),
    path("analysis/", analysis.analysis, name="analysis"),
    path("analysis.json", analysis.analysis_json, name="analysis-json"),
    path("grade/", analysis.grade, name="grade"),
    path("prisma/", analysis.prisma, name="prisma"),
    path("documents/", analysis.documents, name="documents"),
    path("documents/<int:job_id>/<path:name>", analysis.document_file, name="document-file"),
]

urlpatterns = [
    path("", reviews.home, name="home"),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/password/", accounts.password_change, name="password-change"),
    path("reviews/", reviews.review_list, name="review-list"),
    path("reviews/import/", reviews.review_import, name="review-import"),
    path("reviews/<int:review_id>/", include(review_patterns)),
]
