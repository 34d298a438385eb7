//go:build race

package triage

const raceEnabled = true
