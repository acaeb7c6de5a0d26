// The default parameters: what the original FMI measured on AWS Lambda and
// what AWS charges. Every value names its source; docs/model.md repeats them.
// Run fmi-calibrate where the job runs to replace the channel parameters.
#include <fmi/model.hpp>

namespace fmi::model {

Params default_params() {
    Params p;
    p.source = "defaults (original FMI's AWS Lambda measurements, AWS prices)";

    // Channels: medians the original FMI measured between 2 GiB AWS Lambda
    // functions (Copik et al., "FMI: Fast and Cheap Message Passing for
    // Serverless Functions", ICS 2023, arXiv 2305.08763, Sec. 5; our
    // /work/shared/fmi-facts.md): 1 B latency and 100 MB bandwidth.
    p.direct.latency_s = 0.41e-3;            // hole-punched TCP, 0.41 ms
    p.direct.bandwidth_Bps = 467e6;          // 467 MB/s
    p.direct.aggregate_bandwidth_Bps = 0.0;  // each function has its own NIC: no shared limit
    p.redis.latency_s = 2.0e-3;              // ElastiCache, 2.0 ms
    p.redis.bandwidth_Bps = 96e6;            // 96 MB/s
    p.redis.aggregate_bandwidth_Bps = 400e6; // the original's config: bandwidth_multiple 400 MB/s
    p.s3.latency_s = 37.5e-3;                // S3, 37.5 ms (a PUT and the polling GET that finds it)
    p.s3.bandwidth_Bps = 54e6;               // 54 MB/s
    p.s3.aggregate_bandwidth_Bps = 0.0;      // S3 scales out: no shared limit per job

    // Prices, US dollars, us-east-1 on-demand, as used by the original FMI's
    // model configuration (and AWS's public price pages it cites):
    p.prices.faas_gib_second = 0.0000166667;  // AWS Lambda x86, per GB-second
    p.prices.s3_put_request = 0.005 / 1000;   // S3 Standard PUT, COPY, POST, LIST per request
    p.prices.s3_get_request = 0.0004 / 1000;  // S3 Standard GET, SELECT per request
    p.prices.transfer_per_gb = 0.0;           // S3/ElastiCache/EC2 within one region: free
    p.prices.redis_instance_per_hour = 0.038; // original FMI config "instance_price" (its file has
                                              // 0.0038, a 10x typo), ElastiCache small node
    p.prices.rendezvous_vm_per_hour = 0.0134; // original FMI config "vm_price", the small EC2 VM
                                              // running the hole-punching server
    p.prices.infrastructure_share = 1.0;      // the job has its instance and VM to itself
    // The original's "requests_per_hour": 1000 operations of the job per
    // hour share the instance hours (see operations_per_hour).
    p.prices.operations_per_hour = 1000.0;

    // An element-wise float sum over memory already touched: a 64 MiB step
    // took 74 ms here (/work/shared/perf-notes.md), ~0.9 GB/s.
    p.reduce_Bps = 0.9e9;
    return p;
}

}  // namespace fmi::model
