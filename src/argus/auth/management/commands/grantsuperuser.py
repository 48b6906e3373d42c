from argus.auth.management.users import SuperuserFlagCommand


class Command(SuperuserFlagCommand):
    help = "Turn user into superuser"
    username_help = "Grant superuser powers to this user"
    make_superuser = True
