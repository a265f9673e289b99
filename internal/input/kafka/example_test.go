package kafka_test

import (
	"fmt"

	"github.com/vigil-project/vigil/internal/input/kafka"
)

// An input reading Azure activity logs that a diagnostic setting exports to
// an event hub. The connection string is a shared access policy's with the
// Listen right; its EntityPath names the event hub, which is the topic.
func ExampleEventHubs() {
	opts := kafka.EventHubs("", "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=vigil;SharedAccessKey=c2VjcmV0;EntityPath=activity-logs")
	opts.Group = "vigil" // replicas in one group share the partitions
	opts.Index = "logs-azure.activitylogs-default"
	in, err := kafka.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Name())
	fmt.Println(opts.Brokers, opts.TLS, opts.SASL)
	// Output:
	// kafka:activity-logs
	// [contoso.servicebus.windows.net:9093] true PLAIN user $ConnectionString
}
