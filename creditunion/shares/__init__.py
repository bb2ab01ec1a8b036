"""Share (savings) products and members' share accounts, and the money that moves in them."""
