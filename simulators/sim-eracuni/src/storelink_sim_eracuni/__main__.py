"""`python -m storelink_sim_eracuni --port 8902 --user api@x.si:secret:token`."""

from storelink_sim_eracuni.app import main

if __name__ == "__main__":
    main()
