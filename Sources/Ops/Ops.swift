// Module Ops: inventory, facts, plan, phases, template rendering, hosts (SSH and local), firewall, time, certs, service managers, day-2 flows.
// It holds no code yet: issue 3 builds it.
