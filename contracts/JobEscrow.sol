// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @title Reward escrow for Tesserae training jobs.
/// @notice A researcher deposits a job's reward pool (native ETH or one ERC-20). The job's coordinator posts one
/// Merkle root per epoch over (account, amount, cumulative) leaves in OpenZeppelin's StandardMerkleTree format:
/// what the epoch adds for the account, and its total so far (governance weighs votes by it). Each root names
/// the content id of the job log anyone can recompute it from, and reserves its epoch's amount out of the pool.
/// A root waits out a challenge period, during which the owner or a governance vote can veto it; after that it
/// is final, and its leaves can be claimed for good: each epoch pays out of its own reservation, so nothing a
/// later root says (doctored or not) can take back what an earlier final root granted.
/// Invariants: a job never reserves or pays out more than was deposited into it; an epoch never pays out more
/// than it reserved; final credit is never revoked.
/// @dev The EIP-712 domain ("Tesserae", "1", chain, this contract) is also the domain wallets sign their
/// peer-key binding under; bindings are verified off-chain by the coordinator and recorded in the job log.
/// Inherits the standard ERC-20 errors only so that a token's revert inside a deposit decodes by name.
contract JobEscrow is EIP712, ReentrancyGuard, IERC20Errors {
    using SafeERC20 for IERC20;

    struct Job {
        address owner;
        address coordinator;
        /// address(0) for native ETH.
        address token;
        /// Roots may be posted until then; pauses push it back by their length.
        uint64 deadline;
        /// Seconds a posted root waits before it can be claimed against (and during which it can be vetoed).
        uint64 challengePeriod;
        /// Last epoch posted, vetoed or not.
        uint64 epoch;
        /// While in the future, the job is paused: no roots, no claims, no reclaim.
        uint64 pausedUntil;
        uint64 pausedAt;
        bool closed;
        uint256 deposited;
        uint256 claimed;
        /// Cumulative total of the latest root that was not vetoed: everything reserved for volunteers so far.
        uint256 reserved;
        /// A replacement coordinator and when it may take over (zero address: none pending).
        address nextCoordinator;
        uint64 nextCoordinatorAt;
    }

    struct Epoch {
        bytes32 root;
        /// What this epoch adds, summed over its leaves: reserved out of the pool for this epoch's claims.
        uint256 amount;
        /// Everything reserved up to and including this epoch: the snapshot total governance counts against.
        uint256 cumulative;
        /// What was claimed against this epoch so far; never above `amount`.
        uint256 claimed;
        uint64 postedAt;
        bool vetoed;
        /// Where peers fetch the tree and the job log this root was computed from (content ids on the swarm).
        string treeCid;
        string logCid;
    }

    /// Shortest challenge period a job may choose.
    uint64 public immutable minChallengePeriod;
    /// After the deadline, how long volunteers still have to claim before the owner may reclaim the rest.
    uint64 public immutable claimWindow;
    /// How long a new coordinator waits before it can post roots.
    uint64 public immutable coordinatorDelay;
    /// The longest a single pause lasts.
    uint64 public immutable maxPause;
    /// The governance contract, allowed to veto roots (set once, by the deployer).
    address public governor;
    address private immutable _deployer;

    mapping(bytes32 jobKey => Job) private _jobs;
    mapping(bytes32 jobKey => mapping(uint64 epoch => Epoch)) private _epochs;
    mapping(bytes32 jobKey => mapping(uint64 epoch => mapping(address account => bool))) public claimedIn;
    /// What each account was paid out of the job in all, over every epoch.
    mapping(bytes32 jobKey => mapping(address account => uint256)) public claimedBy;

    event JobCreated(bytes32 indexed jobKey, address indexed owner, string id, address coordinator, address token, uint256 amount, uint64 deadline, uint64 challengePeriod);
    event ToppedUp(bytes32 indexed jobKey, address indexed from, uint256 amount);
    event RootPosted(bytes32 indexed jobKey, uint64 indexed epoch, bytes32 root, uint256 amount, uint256 cumulative, string treeCid, string logCid);
    event RootVetoed(bytes32 indexed jobKey, uint64 indexed epoch, address by, string reasonCid);
    event Claimed(bytes32 indexed jobKey, address indexed account, uint64 indexed epoch, uint256 amount);
    event PauseSet(bytes32 indexed jobKey, uint64 pausedUntil, uint64 deadline);
    event CoordinatorProposed(bytes32 indexed jobKey, address coordinator, uint64 readyAt);
    event CoordinatorSet(bytes32 indexed jobKey, address coordinator);
    event Reclaimed(bytes32 indexed jobKey, address indexed to, uint256 amount);

    error JobExists(bytes32 jobKey);
    error UnknownJob(bytes32 jobKey);
    error NotJobOwner(address caller);
    error NotCoordinator(address caller);
    error NotOwnerOrGovernor(address caller);
    error JobPaused(bytes32 jobKey);
    error JobClosed(bytes32 jobKey);
    error InvalidProof();
    error NothingToClaim(address account);
    error AlreadyClaimed(address account, uint64 epoch);
    error EpochExhausted(uint256 available, uint256 needed);
    error LengthMismatch();
    error DeadlineNotReached(uint64 deadline);
    error DeadlinePassed(uint64 deadline);
    error DeadlineInPast(uint64 deadline);
    error WrongEpoch(uint64 expected, uint64 given);
    error UnknownEpoch(uint64 epoch);
    error NotFinal(uint64 epoch, uint64 finalAt);
    error ChallengeOver(uint64 epoch);
    error RootVetoedAlready(uint64 epoch);
    error CumulativeMismatch(uint256 expected, uint256 given);
    error TotalExceedsDeposit(uint256 total, uint256 deposited);
    error ChallengeTooShort(uint64 minimum, uint64 given);
    error NoCoordinatorPending();
    error CoordinatorNotReady(uint64 readyAt);
    error WrongValue(uint256 expected, uint256 sent);
    error ZeroAddress();
    error ZeroAmount();
    error GovernorSet();

    constructor(uint64 minChallengePeriod_, uint64 claimWindow_, uint64 coordinatorDelay_, uint64 maxPause_) EIP712("Tesserae", "1") {
        minChallengePeriod = minChallengePeriod_;
        claimWindow = claimWindow_;
        coordinatorDelay = coordinatorDelay_;
        maxPause = maxPause_;
        _deployer = msg.sender;
    }

    modifier onlyOwner(bytes32 key) {
        if (_job(key).owner != msg.sender) revert NotJobOwner(msg.sender);
        _;
    }

    /// @notice Names the governance contract once; only the deployer may, and only before anyone else.
    function setGovernor(address governor_) external {
        if (msg.sender != _deployer) revert NotJobOwner(msg.sender);
        if (governor != address(0)) revert GovernorSet();
        if (governor_ == address(0)) revert ZeroAddress();
        governor = governor_;
    }

    /// @notice A job's key: its owner and its id together, so nobody can take an id someone else will use.
    function jobKey(address owner, string calldata id) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, keccak256(bytes(id))));
    }

    function job(bytes32 key) external view returns (Job memory) {
        return _job(key);
    }

    function epochOf(bytes32 key, uint64 epoch) external view returns (Epoch memory) {
        _job(key);
        return _epochs[key][epoch];
    }

    /// @notice Whether `epoch`'s root is final: posted, not vetoed and past its challenge period.
    function isFinal(bytes32 key, uint64 epoch) public view returns (bool) {
        Job storage j = _job(key);
        Epoch storage e = _epochs[key][epoch];
        return e.postedAt != 0 && !e.vetoed && block.timestamp >= uint256(e.postedAt) + j.challengePeriod;
    }

    /// @notice The latest final epoch (0 when none is final yet).
    function latestFinal(bytes32 key) external view returns (uint64 epoch) {
        for (epoch = _job(key).epoch; epoch > 0 && !isFinal(key, epoch); epoch--) {}
    }

    function paused(bytes32 key) public view returns (bool) {
        return _job(key).pausedUntil > block.timestamp;
    }

    /// @notice Creates the job `id` owned by the caller and deposits its pool; for ETH send exactly `amount` as
    /// value, for an ERC-20 approve this contract first. Fee-on-transfer tokens are credited with what arrived.
    function createJob(string calldata id, address coordinator, address token, uint256 amount, uint64 deadline, uint64 challengePeriod) external payable nonReentrant returns (bytes32 key) {
        key = jobKey(msg.sender, id);
        if (_jobs[key].owner != address(0)) revert JobExists(key);
        if (coordinator == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        if (challengePeriod < minChallengePeriod) revert ChallengeTooShort(minChallengePeriod, challengePeriod);
        Job storage j = _jobs[key];
        j.owner = msg.sender;
        j.coordinator = coordinator;
        j.token = token;
        j.deadline = deadline;
        j.challengePeriod = challengePeriod;
        uint256 received = _receive(token, amount);
        j.deposited = received;
        emit JobCreated(key, msg.sender, id, coordinator, token, received, deadline, challengePeriod);
    }

    /// @notice Adds to the pool; anyone may top up an open job.
    function topUp(bytes32 key, uint256 amount) external payable nonReentrant {
        Job storage j = _job(key);
        if (j.closed) revert JobClosed(key);
        if (amount == 0) revert ZeroAmount();
        uint256 received = _receive(j.token, amount);
        j.deposited += received;
        emit ToppedUp(key, msg.sender, received);
    }

    /// @notice The coordinator publishes the next epoch's root, reserving `amount` (the sum of its leaves'
    /// amounts) out of the pool; `cumulative` is everything reserved so far, this epoch included.
    function postRoot(bytes32 key, uint64 epoch, bytes32 root, uint256 amount, uint256 cumulative, string calldata treeCid, string calldata logCid) external {
        Job storage j = _job(key);
        if (msg.sender != j.coordinator) revert NotCoordinator(msg.sender);
        if (j.closed) revert JobClosed(key);
        if (paused(key)) revert JobPaused(key);
        if (block.timestamp > deadlineOf(j)) revert DeadlinePassed(deadlineOf(j));
        if (epoch != j.epoch + 1) revert WrongEpoch(j.epoch + 1, epoch);
        if (cumulative != j.reserved + amount) revert CumulativeMismatch(j.reserved + amount, cumulative);
        if (cumulative > j.deposited) revert TotalExceedsDeposit(cumulative, j.deposited);
        _epochs[key][epoch] = Epoch(root, amount, cumulative, 0, uint64(block.timestamp), false, treeCid, logCid);
        j.epoch = epoch;
        j.reserved = cumulative;
        emit RootPosted(key, epoch, root, amount, cumulative, treeCid, logCid);
    }

    /// @notice Rejects a root still in its challenge period, and every root posted after it (they build on it),
    /// returning their reservations to the pool. The owner or an executed governance vote may; `reasonCid`
    /// names the public evidence.
    function vetoRoot(bytes32 key, uint64 epoch, string calldata reasonCid) external {
        Job storage j = _job(key);
        if (msg.sender != j.owner && msg.sender != governor) revert NotOwnerOrGovernor(msg.sender);
        Epoch storage e = _epochs[key][epoch];
        if (e.postedAt == 0) revert UnknownEpoch(epoch);
        if (e.vetoed) revert RootVetoedAlready(epoch);
        if (block.timestamp >= uint256(e.postedAt) + j.challengePeriod) revert ChallengeOver(epoch);
        for (uint64 later = epoch; later <= j.epoch; later++) {
            if (_epochs[key][later].vetoed) continue;
            _epochs[key][later].vetoed = true;
            emit RootVetoed(key, later, msg.sender, reasonCid);
        }
        j.reserved = e.cumulative - e.amount;
    }

    /// @notice Pays `account` its `amount` in the final root of `epoch`, once. Anyone may submit the claim; the
    /// money always goes to `account`.
    function claim(bytes32 key, uint64 epoch, address account, uint256 amount, uint256 cumulative, bytes32[] calldata proof) public nonReentrant {
        Job storage j = _job(key);
        if (j.closed) revert JobClosed(key);
        if (paused(key)) revert JobPaused(key);
        Epoch storage e = _epochs[key][epoch];
        if (e.postedAt == 0 || e.vetoed) revert UnknownEpoch(epoch);
        if (block.timestamp < uint256(e.postedAt) + j.challengePeriod) revert NotFinal(epoch, e.postedAt + j.challengePeriod);
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf(account, amount, cumulative))) revert InvalidProof();
        if (amount == 0) revert NothingToClaim(account);
        if (claimedIn[key][epoch][account]) revert AlreadyClaimed(account, epoch);
        if (e.claimed + amount > e.amount) revert EpochExhausted(e.amount - e.claimed, amount);
        claimedIn[key][epoch][account] = true;
        e.claimed += amount;
        j.claimed += amount;
        claimedBy[key][account] += amount;
        emit Claimed(key, account, epoch, amount);
        _send(j.token, account, amount);
    }

    /// @notice Claims several epochs' leaves for one account in one transaction.
    function claimMany(bytes32 key, address account, uint64[] calldata epochs, uint256[] calldata amounts, uint256[] calldata cumulatives, bytes32[][] calldata proofs) external {
        if (amounts.length != epochs.length || cumulatives.length != epochs.length || proofs.length != epochs.length) revert LengthMismatch();
        for (uint256 i = 0; i < epochs.length; i++) claim(key, epochs[i], account, amounts[i], cumulatives[i], proofs[i]);
    }

    /// @notice Pauses the job (no roots, claims or reclaim) for at most `maxPause`, or ends a pause early. The
    /// deadline moves back by however long the job was paused, so a pause never eats into anyone's time.
    function setPaused(bytes32 key, bool pause) external onlyOwner(key) {
        Job storage j = _jobs[key];
        if (j.closed) revert JobClosed(key);
        uint64 now_ = uint64(block.timestamp);
        // mutation-ignore-next-line: equivalent when forced true (pausedAt and pausedUntil are zero together, so the block adds 0 and writes zeros)
        if (j.pausedAt != 0) {
            // A pause in force (or one that ran out): its length so far is added to the deadline once.
            uint64 end = j.pausedUntil < now_ ? j.pausedUntil : now_;
            j.deadline += end - j.pausedAt;
            j.pausedAt = 0;
            j.pausedUntil = 0;
        }
        if (pause) {
            j.pausedAt = now_;
            j.pausedUntil = now_ + maxPause;
        }
        emit PauseSet(key, j.pausedUntil, j.deadline);
    }

    /// @notice Starts replacing a coordinator whose key was lost or compromised; the new one takes over after
    /// `coordinatorDelay`, so volunteers see the change coming and roots in flight can still be challenged.
    function proposeCoordinator(bytes32 key, address coordinator) external onlyOwner(key) {
        if (coordinator == address(0)) revert ZeroAddress();
        Job storage j = _jobs[key];
        j.nextCoordinator = coordinator;
        j.nextCoordinatorAt = uint64(block.timestamp) + coordinatorDelay;
        emit CoordinatorProposed(key, coordinator, j.nextCoordinatorAt);
    }

    /// @notice Completes a proposed replacement once its delay has passed; anyone may.
    function acceptCoordinator(bytes32 key) external {
        Job storage j = _job(key);
        if (j.nextCoordinator == address(0)) revert NoCoordinatorPending();
        if (block.timestamp < j.nextCoordinatorAt) revert CoordinatorNotReady(j.nextCoordinatorAt);
        j.coordinator = j.nextCoordinator;
        j.nextCoordinator = address(0);
        j.nextCoordinatorAt = 0;
        emit CoordinatorSet(key, j.coordinator);
    }

    /// @notice After the deadline and the claim window the owner takes back everything not yet claimed, and
    /// the job closes for good.
    function reclaim(bytes32 key) external nonReentrant onlyOwner(key) {
        Job storage j = _jobs[key];
        if (j.closed) revert JobClosed(key);
        if (paused(key)) revert JobPaused(key);
        uint256 opens = uint256(deadlineOf(j)) + claimWindow;
        if (block.timestamp < opens) revert DeadlineNotReached(uint64(opens));
        j.closed = true;
        uint256 rest = j.deposited - j.claimed;
        // Counted as paid out, so claimed == deposited holds for a closed job; unclaimed reservations go back
        // to the owner only now, after the claim window.
        j.claimed = j.deposited;
        emit Reclaimed(key, msg.sender, rest);
        if (rest > 0) _send(j.token, msg.sender, rest);
    }

    /// @notice The StandardMerkleTree leaf for (account, amount, cumulative): double-hashed against second preimages.
    function leaf(address account, uint256 amount, uint256 cumulative) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount, cumulative))));
    }

    /// @notice Whether (account, amount, cumulative, proof) is in `epoch`'s final root: governance counts votes by it.
    function verifyCredit(bytes32 key, uint64 epoch, address account, uint256 amount, uint256 cumulative, bytes32[] calldata proof) external view returns (bool) {
        return isFinal(key, epoch) && MerkleProof.verifyCalldata(proof, _epochs[key][epoch].root, leaf(account, amount, cumulative));
    }

    /// @dev The deadline with any pause so far added (a pause that ran out is counted in full).
    function deadlineOf(Job storage j) private view returns (uint64) {
        // mutation-ignore-next-line: equivalent when forced false (with no pause, end and pausedAt are both 0)
        if (j.pausedAt == 0) return j.deadline;
        uint64 end = j.pausedUntil < block.timestamp ? j.pausedUntil : uint64(block.timestamp);
        return j.deadline + (end - j.pausedAt);
    }

    function _job(bytes32 key) private view returns (Job storage j) {
        j = _jobs[key];
        if (j.owner == address(0)) revert UnknownJob(key);
    }

    function _receive(address token, uint256 amount) private returns (uint256) {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
            return amount;
        }
        if (msg.value != 0) revert WrongValue(0, msg.value);
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        return received;
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok, bytes memory reason) = to.call{value: amount}("");
            if (!ok) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
