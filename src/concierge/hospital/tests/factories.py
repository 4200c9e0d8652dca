import factory

from concierge.accounts.models import Membership, Organisation, User
from concierge.hospital.models import Bed, BedStatus, Booking, Ward, WardKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.HOSPITAL
    name = factory.Sequence(lambda n: f"Hospital {n}")
    slug = factory.Sequence(lambda n: f"hospital-{n}")
    city = "Chennai"
    district = "Chennai"
    phone = "+91 44 0000 0000"
    is_public = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(HospitalFactory)
    role = "staff"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    organisation = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    kind = WardKind.GENERAL


class BedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bed
        skip_postgeneration_save = True

    ward = factory.SubFactory(WardFactory)
    organisation = factory.SelfAttribute("ward.organisation")
    label = factory.Sequence(lambda n: f"B{n}")
    status = BedStatus.FREE

    @factory.post_generation
    def kept_counts(obj, create, extracted, **kwargs):
        # Services keep the ward's bed counts; a bed made here must count too.
        if create:
            from concierge.hospital.services import rebuild_bed_counts

            rebuild_bed_counts(ward_ids=[obj.ward_id])


def staff_of(hospital, role="staff"):
    return MembershipFactory(organisation=hospital, role=role).user


def booking_kwargs(**extra):
    data = {
        "ward_kind": WardKind.GENERAL,
        "patient_name": "Lakshmi Devi",
        "patient_age": 64,
        "patient_sex": "F",
        "reason": "Pneumonia, needs observation",
    }
    data.update(extra)
    return data


__all__ = [
    "Booking",
    "BedFactory",
    "HospitalFactory",
    "MembershipFactory",
    "UserFactory",
    "WardFactory",
    "booking_kwargs",
    "staff_of",
]
