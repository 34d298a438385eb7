// Command tandem runs Tandem, the customer-support platform in which an AI
// assistant and people work as one team. See "tandem --help".
package main

import (
	"os"

	"github.com/tandem-desk/tandem/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
