"""The consortium agreement: answers, the policy and text they give, amendments."""
