import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.accounts import selectors, services
from concierge.accounts.forms import (
    DeleteAccountForm,
    InviteForm,
    OrganisationForm,
    ProfileForm,
    RoleForm,
    TokenForm,
)
from concierge.accounts.models import Membership, Role
from concierge.core import selectors as core_selectors


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            user=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
        )
        messages.success(request, _("Your profile is saved."))
        response = redirect("accounts:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language, samesite="Lax")
        return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request):
    """The header's language switcher: remembered in a cookie, and in the profile."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated:
        services.update_profile(user=request.user, language=language)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600
    )
    return response


@login_required
def security(request):
    page = Paginator(core_selectors.audit_events_for_user(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/security.html", {"page": page})


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        new_token = services.create_api_token(
            user=request.user, name=form.cleaned_data["name"], request=request
        )
        form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": request.user.api_tokens.filter(revoked_at__isnull=True),
        },
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    try:
        services.revoke_api_token(user=request.user, token_id=pk, request=request)
    except services.ApiToken.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:tokens")


@login_required
def export_data(request):
    if request.method != "POST":
        return render(request, "accounts/export.html")
    data = services.export_personal_data(user=request.user, request=request)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="concierge-my-data.json"'
    return response


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_account(
                user=request.user, request=request, confirm_email=form.cleaned_data["confirm_email"]
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            logout(request)
            messages.success(request, _("Your account has been deleted."))
            return redirect("core:home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
def organisations(request):
    memberships = selectors.memberships_for(user=request.user).order_by("organisation__name")
    return render(request, "accounts/organisations.html", {"memberships": memberships})


@login_required
def create_organisation(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = services.create_organisation(
            owner=request.user, name=data.pop("name"), kind=data.pop("kind"), **data
        )
        messages.success(request, _("%(name)s is ready.") % {"name": org.name})
        return redirect("accounts:organisation", slug=org.slug)
    return render(request, "accounts/organisation_form.html", {"form": form})


@login_required
def organisation(request, slug: str):
    org = selectors.organisation_for_member(user=request.user, slug=slug)
    is_admin = request.user.has_perm("accounts.manage_members", org)
    return render(
        request,
        "accounts/organisation.html",
        {
            "org": org,
            "role": selectors.role_in(user=request.user, organisation=org),
            "is_admin": is_admin,
            "members": selectors.members_of(organisation=org) if is_admin else [],
            "invitations": org.invitations.filter(accepted_at__isnull=True) if is_admin else [],
            "invite_form": InviteForm(),
            "roles": Role.choices,
        },
    )


@login_required
def organisation_settings(request, slug: str):
    org = selectors.organisation_for_member(user=request.user, slug=slug, roles=[Role.ADMIN])
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.update_organisation(
            actor=request.user,
            organisation=org,
            **{f: form.cleaned_data[f] for f in form.changed_data},
        )
        messages.success(request, _("Settings saved."))
        return redirect("accounts:organisation", slug=org.slug)
    return render(request, "accounts/organisation_form.html", {"form": form, "org": org})


@login_required
@require_POST
def invite(request, slug: str):
    org = selectors.organisation_for_member(user=request.user, slug=slug, roles=[Role.ADMIN])
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invite_member(actor=request.user, organisation=org, **form.cleaned_data)
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Enter a valid e-mail address and role."))
    return redirect("accounts:organisation", slug=org.slug)


def _membership(request, slug: str, pk: int) -> Membership:
    org = selectors.organisation_for_member(user=request.user, slug=slug)
    return get_object_or_404(Membership, pk=pk, organisation=org)


@login_required
@require_POST
def change_role(request, slug: str, pk: int):
    membership = _membership(request, slug, pk)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a valid role."))
        services.change_role(
            actor=request.user, membership=membership, role=form.cleaned_data["role"]
        )
        messages.success(request, _("Role changed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    return redirect("accounts:organisation", slug=slug)


@login_required
@require_POST
def remove_member(request, slug: str, pk: int):
    membership = _membership(request, slug, pk)
    leaving = membership.user == request.user
    try:
        services.remove_member(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:organisation", slug=slug)
    except PermissionDenied as exc:
        raise Http404 from exc
    if leaving:
        messages.success(request, _("You left the organisation."))
        return redirect("accounts:organisations")
    messages.success(request, _("Member removed."))
    return redirect("accounts:organisation", slug=slug)


@login_required
def organisation_audit(request, slug: str):
    org = selectors.organisation_for_member(user=request.user, slug=slug, roles=[Role.ADMIN])
    page = Paginator(core_selectors.audit_events_for_organisation(organisation=org), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/organisation_audit.html", {"org": org, "page": page})


@login_required
def accept_invitation(request, token: str):
    if request.method == "POST":
        try:
            membership = services.accept_invitation(user=request.user, token=token)
        except ValidationError as exc:
            return render(
                request, "accounts/invitation.html", {"error": " ".join(exc.messages)}, status=400
            )
        messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organisation.name})
        return redirect("accounts:organisation", slug=membership.organisation.slug)
    invitation = selectors.invitation_by_token(token=token)
    return render(request, "accounts/invitation.html", {"invitation": invitation})
