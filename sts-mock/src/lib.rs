//! `sts-mock`: an AWS STS emulator that really verifies web-identity tokens and really
//! enforces IAM trust policies. The modules are filled in by the STS and IAM issues.
