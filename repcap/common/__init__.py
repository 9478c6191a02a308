"""The ground floor: plumbing every layer shares, written once. May import ``repcap.errors`` only.

``formatting``  numbers written for readers (the paper's scientific notation, 10^x beyond float range)
"""
