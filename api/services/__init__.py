"""The API's rules, apart from the routes: what a request does, written once.

Routes parse, authorise and answer; what happens in between lives here, so that two routes (or
a route and the command line) never write the same rule twice.
"""
