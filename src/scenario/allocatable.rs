//! Node allocatable from capacity: the GKE and EKS/Karpenter formulas (k8s-facts §3.3), used
//! when a pool gives no `allocatable_*`. Simplified: the formulas as published; kube-reserved
//! changes of custom node images are not modelled.

/// CPU reserved by the GKE/EKS ladder: 6 % of the first core, 1 % of the second, 0.5 % of
/// cores 3–4, 0.25 % of each core above 4 (k8s-facts §3.3). Input and output in millicores.
fn cpu_reserved_ladder(cap_m: u64) -> u64 {
    let c = cap_m as f64 / 1000.0;
    let r = 60.0 * c.min(1.0)
        + 10.0 * (c - 1.0).clamp(0.0, 1.0)
        + 5.0 * (c - 2.0).clamp(0.0, 2.0)
        + 2.5 * (c - 4.0).max(0.0);
    r.round() as u64
}

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * MIB;

/// GKE allocatable (cpu millicores, memory bytes) for a node of the given capacity
/// (k8s-facts §3.3, cloud.google.com plan-node-sizes).
pub fn gke_allocatable(cap_cpu_m: u64, cap_mem: u64) -> (u64, u64) {
    let m = cap_mem as f64;
    let reserved = if m < GIB {
        255.0 * MIB
    } else {
        let tiers = [
            (4.0 * GIB, 0.25),
            (4.0 * GIB, 0.20),
            (8.0 * GIB, 0.10),
            (112.0 * GIB, 0.06),
        ];
        let mut left = m;
        let mut r = 0.0;
        for (size, frac) in tiers {
            let take = left.min(size);
            r += take * frac;
            left -= take;
        }
        r + left * 0.02
    };
    let eviction = 100.0 * MIB;
    let mem = (m - reserved - eviction).max(0.0) as u64;
    (
        cap_cpu_m.saturating_sub(cpu_reserved_ladder(cap_cpu_m)),
        mem,
    )
}

/// EKS/Karpenter allocatable: memory = capacity × (1 − 7.5 %) − (255 MiB + 11 MiB × maxPods) −
/// 100 MiB eviction; CPU as GKE (k8s-facts §3.3).
pub fn eks_allocatable(cap_cpu_m: u64, cap_mem: u64, max_pods: u32) -> (u64, u64) {
    let m = cap_mem as f64 * 0.925 - (255.0 + 11.0 * f64::from(max_pods)) * MIB - 100.0 * MIB;
    (
        cap_cpu_m.saturating_sub(cpu_reserved_ladder(cap_cpu_m)),
        m.max(0.0) as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_formula_gives_15890m_for_16_cores() {
        let (cpu, _) = gke_allocatable(16_000, 64 * 1024 * 1024 * 1024);
        assert_eq!(cpu, 15_890);
    }

    #[test]
    fn gke_memory_matches_reference_points() {
        // k8s-facts §3.3: 16 GiB -> 13,622 Mi; 32 GiB -> 29,023 Mi; 64 GiB -> 59,824 Mi.
        for (gib, mi) in [(16u64, 13_622u64), (32, 29_023), (64, 59_824)] {
            let (_, mem) = gke_allocatable(4000, gib << 30);
            assert_eq!((mem as f64 / MIB).round() as u64, mi, "{gib} GiB");
        }
    }

    #[test]
    fn eks_formula_matches_observed_c6a_2xlarge() {
        // k8s-facts §3.3: c6a.2xlarge 8 vCPU / 16 GiB / 58 pods -> 7910m, 14162Mi.
        let (cpu, mem) = eks_allocatable(8000, 16 << 30, 58);
        assert_eq!(cpu, 7910);
        assert_eq!(mem >> 20, 14_162);
    }
}
