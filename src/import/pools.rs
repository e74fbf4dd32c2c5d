//! Example node pools for `argosim import --with-cluster NAME`: common GKE and EKS machine
//! types with their capacity, the provider's allocatable formula and a dated list price, so an
//! imported workflow can be run at once. Prices are the figures of k8s-facts §6 (GCP
//! us-central1 from the Cyclenerd pricing snapshot of Mar 2025, cross-checked against
//! cluster-autoscaler's `gce_price_info.go`; AWS us-east-1 on-demand from Karpenter's
//! generated price table of 2026-07-20); replace them with your own.

/// One example pool.
#[derive(Debug, Clone, Copy)]
pub struct ExamplePool {
    /// Name given to `--with-cluster` (provider-machine type).
    pub name: &'static str,
    /// Machine type.
    pub machine_type: &'static str,
    /// vCPUs per node.
    pub cpu: u32,
    /// Memory per node, GiB.
    pub memory_gib: u32,
    /// Allocatable formula (`reservation`).
    pub reservation: &'static str,
    /// CPU architecture.
    pub arch: &'static str,
    /// USD per node-hour.
    pub price_per_hour: f64,
    /// Spot capacity (tainted as the provider taints it).
    pub spot: bool,
    /// Where the price comes from.
    pub source: &'static str,
}

const GCP: &str = "GCP us-central1, Cyclenerd pricing.yml Mar 2025 (k8s-facts §6)";
const AWS: &str = "AWS us-east-1 on-demand, Karpenter price table 2026-07-20 (k8s-facts §6)";

/// The catalogue, in the order `--help` lists it.
pub const EXAMPLE_POOLS: [ExamplePool; 7] = [
    ExamplePool {
        name: "gke-n2-standard-16",
        machine_type: "n2-standard-16",
        cpu: 16,
        memory_gib: 64,
        reservation: "gke",
        arch: "amd64",
        price_per_hour: 0.7769,
        spot: false,
        source: GCP,
    },
    ExamplePool {
        name: "gke-n2-standard-16-spot",
        machine_type: "n2-standard-16",
        cpu: 16,
        memory_gib: 64,
        reservation: "gke",
        arch: "amd64",
        price_per_hour: 0.2398,
        spot: true,
        source: GCP,
    },
    ExamplePool {
        name: "gke-e2-standard-16",
        machine_type: "e2-standard-16",
        cpu: 16,
        memory_gib: 64,
        reservation: "gke",
        arch: "amd64",
        price_per_hour: 0.5361,
        spot: false,
        source: GCP,
    },
    ExamplePool {
        name: "gke-t2a-standard-16",
        machine_type: "t2a-standard-16",
        cpu: 16,
        memory_gib: 64,
        reservation: "gke",
        arch: "arm64",
        price_per_hour: 0.616,
        spot: false,
        source: GCP,
    },
    ExamplePool {
        name: "eks-m5-4xlarge",
        machine_type: "m5.4xlarge",
        cpu: 16,
        memory_gib: 64,
        reservation: "eks",
        arch: "amd64",
        price_per_hour: 0.768,
        spot: false,
        source: AWS,
    },
    ExamplePool {
        name: "eks-m6g-4xlarge",
        machine_type: "m6g.4xlarge",
        cpu: 16,
        memory_gib: 64,
        reservation: "eks",
        arch: "arm64",
        price_per_hour: 0.616,
        spot: false,
        source: AWS,
    },
    ExamplePool {
        name: "eks-c5-4xlarge",
        machine_type: "c5.4xlarge",
        cpu: 16,
        memory_gib: 32,
        reservation: "eks",
        arch: "amd64",
        price_per_hour: 0.680,
        spot: false,
        source: AWS,
    },
];

/// The example pool called `name`, or an error listing the names.
pub fn example_pool(name: &str) -> Result<&'static ExamplePool, String> {
    EXAMPLE_POOLS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = EXAMPLE_POOLS.iter().map(|p| p.name).collect();
            format!(
                "--with-cluster: unknown example pool `{name}`; one of: {}",
                names.join(", ")
            )
        })
}

/// The `[[cluster.pools]]` table of pool `p` with `nodes` nodes (autoscaled up to
/// `max_nodes` when larger), commented with its sources.
pub fn pool_toml(p: &ExamplePool, nodes: u32, max_nodes: u32) -> String {
    let mut s = format!(
        "\n# Example pool `{}` (argosim import --with-cluster): size it to your cluster.\n",
        p.name
    );
    if max_nodes > nodes {
        s.push_str("[autoscaler]\nmode = \"cluster-autoscaler\"\n\n");
    }
    s.push_str("[[cluster.pools]]\n");
    s.push_str(&format!("name = \"{}\"\n", p.name));
    s.push_str(&format!("machine_type = \"{}\"\n", p.machine_type));
    s.push_str(&format!("cpu = \"{}\"\n", p.cpu));
    s.push_str(&format!("memory = \"{}Gi\"\n", p.memory_gib));
    s.push_str(&format!(
        "reservation = \"{}\"          # allocatable by the provider's formula\n",
        p.reservation
    ));
    if p.arch != "amd64" {
        s.push_str(&format!("arch = \"{}\"\n", p.arch));
    }
    s.push_str(&format!(
        "price_per_hour = {}   # {}\n",
        p.price_per_hour, p.source
    ));
    if p.spot {
        // Without a matching toleration no imported pod would land on a tainted pool.
        s.push_str(
            "spot = true                  # untainted here so the imported pods can use it\n",
        );
    }
    s.push_str(&format!("nodes = {nodes}\n"));
    if max_nodes > nodes {
        s.push_str(&format!("max_nodes = {max_nodes}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_pool_parses_as_a_scenario_pool() {
        for p in &EXAMPLE_POOLS {
            let text = format!(
                "name = \"x\"\n{}\n[[workflows]]\nname = \"w\"\n[[workflows.tasks]]\nname = \"t\"\nduration = \"1m\"\n[[submissions]]\nworkflow = \"w\"\n",
                pool_toml(p, 2, 5)
            );
            let sc = crate::scenario::parse("x.toml", &text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sc.pools[0].price_per_hour, p.price_per_hour);
            assert_eq!(sc.pools[0].max_nodes, 5);
        }
        assert!(example_pool("gke-n2-standard-16").is_ok());
        let e = example_pool("n2").unwrap_err();
        assert!(
            e.contains("gke-n2-standard-16, gke-n2-standard-16-spot"),
            "{e}"
        );
    }
}
