// Package triage reads a customer message before anyone answers it: its
// language, its intent with a calibrated confidence, whether it asks for a
// person, its mood, and whether it touches a sensitive matter that must go
// to a person. From those and a workspace's policy it makes one decision —
// answer, clarify or hand off — with machine-readable reasons.
//
// Everything here is pure: functions of the text, the models embedded in
// the binary and the policy; no I/O, no network, no clock.
package triage
